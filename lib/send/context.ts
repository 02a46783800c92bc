import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSRecord } from 'aws-lambda';
import type { SendConfig } from '../config.ts';
import type { Rejection, ValidJob } from '../domain/validate-job.ts';
import type { BatchTally } from '../jobs/batch-tally.ts';
import type { JobStore } from '../jobs/job-store.ts';
import type { CampaignCounters } from '../ports/campaign-counters.ts';
import type { ControlStore, Controls } from '../ports/control-store.ts';
import type { JobQueues } from '../ports/job-queues.ts';
import type { MmApiClient } from '../ports/mm-api.ts';
import type { OpenDeadlines } from '../ports/open-deadlines.ts';
import type { UserRecord, UserStore } from '../ports/user-store.ts';
import type { SlotDispenser } from './slot-dispenser.ts';

/** Everything sending one record needs, injected so tests run the same code against the local stack. */
export interface SendDeps {
  config: SendConfig;
  jobs: JobStore;
  users: UserStore;
  controls: ControlStore;
  queues: JobQueues;
  mmApi: MmApiClient;
  logger: Logger;
  now: () => number;
  random: () => number;
  newId: () => string;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The send function's runtime: what its records need plus what the batch does once (counters, sweep records, metrics). */
export interface SendRuntime extends SendDeps {
  counters: CampaignCounters;
  openDeadlines: OpenDeadlines;
  metrics: Metrics;
}

/** A record's body as read once per batch: the valid job with its times, or why it is not one. */
export type PreparedRecord =
  /** `account`: the WhatsApp Business Account of the job's number, whose opt-outs apply to it. */
  { ok: true; job: ValidJob; account: string; createdAt: number; validUntil: number } | { ok: false; rejection: Rejection };

/** What one invocation shares between its records. */
export interface BatchContext {
  prepared: ReadonlyMap<string, PreparedRecord>;
  users: ReadonlyMap<string, UserRecord>;
  /** The breakers and campaign states as last read: at the batch's start, then by `refreshControls`. */
  controls: Controls;
  /** Re-reads `controls` if they are older than a second (one read in flight at a time). */
  refreshControls: () => Promise<void>;
  /** Breakers this invocation opened: the rest of the batch holds at once. */
  openedHere: Set<string>;
  /** 130429 answered this invocation: it reacts once per number (the fleet at most once a second). */
  slowedHere: Set<string>;
  slots: SlotDispenser;
  /** Latest time a send may start and still finish before the function's deadline. */
  latestStart: () => number;
  signal: AbortSignal | undefined;
  /** Records that go to the same recipient as an earlier one in this batch (other campaigns): spaced by 6 s. */
  pairSpacing: ReadonlyMap<string, number>;
}

/** One valid record on its way: what every step of sending it passes along. */
export interface SendingRecord {
  record: SQSRecord;
  job: ValidJob;
  /** The WhatsApp Business Account of the job's number: its opt-outs apply, a 131050 is recorded for it. */
  account: string;
  /**
   * The identity of this message: a re-dispatch carries the id the job record expects; a
   * producer's message is known by its SQS id (a producer duplicate has another one).
   */
  token: string;
  createdAt: number;
  validUntil: number;
  /** Logger with the campaign and the masked recipient. */
  log: Logger;
  deps: SendDeps;
  batch: BatchContext;
  tally: BatchTally;
}
