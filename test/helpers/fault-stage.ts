import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { type LocalClients, type LocalResources, queueOf, tableOf } from 'lambda-local-kit';
import type { SimulatedCall } from 'mm-api-simulator';
import { expect } from 'vitest';
import { createCampaignCounters } from '../../lib/adapters/dynamodb/campaign-counters.ts';
import type { SendJobInput } from '../../lib/domain/job-contract.ts';
import { FINAL_STATES } from '../../lib/domain/job-state.ts';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import type { CounterDeltas } from '../../lib/ports/campaign-counters.ts';
import { aJob, recipientNumber } from './factories.ts';
import {
  CALLBACK_PREFIX,
  computeTotals,
  type FaultLedger,
  type FaultTotals,
  type GroundTruth,
  jobCallbackDataOf,
  jobKeyOfBody,
  keyOf,
  recordTotals,
  violations,
} from './fault-accounting.ts';
import { scanJobs } from './jobs-table.ts';
import { countMessages, type QueueCounts, type SendHarness } from './send-harness.ts';

/** A valid job whose MM API call the accounting can attribute to its campaign (callback data). */
export function faultJob(campaignId: string, recipient: string | number, overrides: Partial<SendJobInput> = {}): SendJobInput {
  return aJob({
    campaignId,
    recipient: typeof recipient === 'number' ? recipientNumber(recipient) : recipient,
    callbackData: `${CALLBACK_PREFIX}${campaignId}`,
    ...overrides,
  });
}

/** The n-th recipient of a range, e.g. `recipients(5_000, 10)`. */
export function recipients(from: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => recipientNumber(from + i));
}

/** What the accounting reads: the simulator's log, the stage's table and queues. */
export interface StageView {
  calls(): SimulatedCall[];
  allJobs(): Promise<JobRecord[]>;
  queueCounts(logicalId: string): Promise<QueueCounts>;
  /** Every message in the send DLQ now, with its attributes (read and left on the queue). */
  sendDlq(): Promise<Message[]>;
  /** A campaign's summed counters, as the report reads them, once every job change made so far is counted. */
  counters(campaignId: string): Promise<CounterDeltas>;
}

/** Where a stage's functions run: the simulator's log, and the wait for the counting function to catch up. */
export interface StageRunner {
  calls: () => SimulatedCall[];
  countsCaughtUp: () => Promise<void>;
}

/** A view over a stage's resources, for stages whose functions run elsewhere (a worker process). */
export function stageView(resources: LocalResources, clients: LocalClients, { calls, countsCaughtUp }: StageRunner): StageView {
  const table = tableOf(resources, 'JobsTable').name;
  const counters = createCampaignCounters(clients.documents, { tableName: tableOf(resources, 'CampaignsTable').name, shards: 1 });
  return {
    calls,
    async counters(campaignId) {
      await countsCaughtUp();
      return counters.read(campaignId);
    },
    allJobs: () => scanJobs(clients.documents, table),
    queueCounts: (logicalId) => countMessages(clients.sqs, queueOf(resources, logicalId).url),
    async sendDlq() {
      const url = queueOf(resources, 'SendDeadLetterQueue').url;
      const found = new Map<string, Message>();
      for (;;) {
        const page = await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageAttributeNames: ['All'],
            VisibilityTimeout: 30,
          }),
        );
        if (!page.Messages?.length) break;
        for (const message of page.Messages) found.set(message.MessageId!, message);
      }
      // Put them back at once: the next look, or an operator's redrive, must find them.
      const messages = [...found.values()];
      for (let i = 0; i < messages.length; i += 10) {
        const entries = messages.slice(i, i + 10).map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
        await clients.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries }));
      }
      return messages;
    },
  };
}

/** The same view over an in-process harness. */
export function harnessView(harness: SendHarness, clients: LocalClients): StageView {
  return stageView(harness.deployment.resources, clients, {
    calls: () => harness.sim.calls(),
    countsCaughtUp: () => harness.deployment.countsCaughtUp(),
  });
}

/** Polls `probe` until `done` holds for its value; fails with `describe(value)` after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  done: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; what?: string; describe?: (value: T) => string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(
        `${options.what ?? 'condition'} not reached in ${options.timeoutMs ?? 60_000} ms${options.describe ? `: ${options.describe(value)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** Job records by key. */
export async function jobsByKey(view: StageView): Promise<Map<string, JobRecord>> {
  return new Map((await view.allJobs()).map((job) => [job.jobKey, job]));
}

/**
 * Waits until every valid job of the ledger has a final state or sits in the send DLQ (after
 * `maxReceiveCount` failed receives), or `alsoDone` accepts it; then until the send queue holds
 * nothing visible or in flight.
 */
export async function settle(
  view: StageView,
  ledger: FaultLedger,
  options: { timeoutMs?: number; alsoDone?: (job: JobRecord | undefined, key: string) => boolean } = {},
): Promise<Map<string, JobRecord>> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  let deadLettered = new Set<string>();
  const pending = (jobs: Map<string, JobRecord>) =>
    [...ledger.valid.keys()].filter((key) => {
      const job = jobs.get(key);
      if (options.alsoDone?.(job, key) || deadLettered.has(key)) return false;
      return !job || !FINAL_STATES.includes(job.state);
    });
  const probe = async () => {
    deadLettered = new Set(
      (await view.sendDlq())
        .flatMap((m) => (m.MessageAttributes?.rejectionReason ? [] : [jobKeyOfBody(m.Body)]))
        .filter((k): k is string => k !== undefined),
    );
    return jobsByKey(view);
  };
  const jobs = await waitFor(probe, (all) => pending(all).length === 0, {
    timeoutMs,
    what: `${ledger.family}: every job final`,
    describe: (all) =>
      pending(all)
        .slice(0, 20)
        .map((key) => `${key}=${all.get(key)?.state ?? 'none'}`)
        .join(', '),
  });
  await waitFor(
    () => view.queueCounts('SendQueue'),
    (c) => c.visible === 0 && c.inFlight === 0,
    { timeoutMs, what: `${ledger.family}: send queue quiet`, describe: (c) => JSON.stringify(c) },
  );
  return jobs;
}

/** Reads the ground truth of a stage, with the counters of `campaigns` as they stood while the jobs were read. */
export async function groundTruth(view: StageView, campaigns: readonly string[] = []): Promise<GroundTruth> {
  const [send, deferred] = await Promise.all([view.queueCounts('SendQueue'), view.queueCounts('DeferredQueue')]);
  const queued = (c: QueueCounts) => c.visible + c.inFlight + c.delayed;
  const { jobs, counters } = await jobsWithTheirCounters(view, campaigns);
  return {
    calls: view.calls(),
    jobs,
    sendDlq: await view.sendDlq(),
    queuedMessages: queued(send) + queued(deferred),
    now: Date.now(),
    counters,
  };
}

/**
 * The job items and the campaigns' counters at one moment: a late status may still move a job
 * (and then its counters) while the table is read, so the counters are read, caught up with the
 * job changes, before and after the scan until they did not change in between.
 */
async function jobsWithTheirCounters(view: StageView, campaigns: readonly string[]) {
  const readCounters = async () =>
    Object.fromEntries(await Promise.all(campaigns.map(async (id) => [id, await view.counters(id)] as const)));
  let before = await readCounters();
  for (let tries = 1; ; tries++) {
    const jobs = await view.allJobs();
    const after = await readCounters();
    if (JSON.stringify(after) === JSON.stringify(before) || tries >= 10) return { jobs, counters: after };
    before = after;
  }
}

/**
 * The closing check of a fault file: computes its totals from the ground truth, writes them for
 * the run's table, and fails unless nothing was lost, nothing was sent twice, every bad input was
 * dead-lettered with a reason, and every MM API call belongs to a claimed valid job.
 */
export async function closeTheBooks(view: StageView, ledger: FaultLedger): Promise<FaultTotals> {
  const campaigns = [...new Set([...ledger.valid.values()].map((job) => job.campaignId))];
  const totals = computeTotals(ledger, await groundTruth(view, campaigns));
  recordTotals(totals);
  expect(violations(totals), JSON.stringify({ ...totals, details: undefined })).toEqual([]);
  return totals;
}

/** Accepted simulator calls per job key (campaign from the callback data, recipient from `to`). */
export function acceptedByKey(calls: SimulatedCall[]): Map<string, SimulatedCall[]> {
  const map = new Map<string, SimulatedCall[]>();
  for (const call of calls) {
    if (call.outcome !== 'accepted') continue;
    const data = jobCallbackDataOf(call) ?? '';
    const key = keyOf(data.replace(CALLBACK_PREFIX, ''), call.recipient ?? '');
    map.set(key, [...(map.get(key) ?? []), call]);
  }
  return map;
}

/** A small seeded PRNG (mulberry32), so injected fault patterns repeat from run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Deployment settings for files whose records are handed back (failed writes, crashes) and must
 * come back within seconds instead of the 181 s visibility timeout:
 * - function timeout F (default 10 s): the send function's deadline guard lets a send start until
 *   F − request timeout − min(3 s, F/10), so with F under 10 s a send that takes its whole request
 *   timeout can still be running when middy's early timeout fails the batch (1 s before the
 *   deadline); shorter F only with a simulator that answers well within the request timeout;
 * - visibility timeout V = F + 2 s on the send queue (and the status queue with `statusQueue`);
 * - claims older than V − 1 s are stale (CLAIM_STALE_SECONDS, between F and V).
 */
export function quickRedelivery(
  options: {
    requestTimeoutMs?: number;
    functionTimeoutMs?: number;
    visibilitySeconds?: number;
    statusQueue?: boolean;
    sendQueue?: Record<string, unknown>;
    env?: Record<string, string>;
  } = {},
): {
  resourceOverrides: Record<string, Record<string, unknown>>;
  functionTimeoutMs: number;
  env: Record<string, string>;
} {
  const functionTimeoutMs = options.functionTimeoutMs ?? 10_000;
  const visibility = options.visibilitySeconds ?? Math.ceil(functionTimeoutMs / 1000) + 2;
  return {
    resourceOverrides: {
      SendQueue: { VisibilityTimeout: visibility, ...options.sendQueue },
      ...(options.statusQueue ? { StatusQueue: { VisibilityTimeout: visibility } } : {}),
    },
    functionTimeoutMs,
    env: {
      META_REQUEST_TIMEOUT_MS: String(options.requestTimeoutMs ?? 3_000),
      CLAIM_STALE_SECONDS: String(visibility - 1),
      ...options.env,
    },
  };
}

/**
 * An operator's "Start DLQ redrive" (StartMessageMoveTask, which fauxqs lacks): every message of
 * the send DLQ goes back to the send queue as a *new* message, as on AWS ("all redriven messages
 * are considered new messages and are assigned a new messageID"), attributes kept.
 * Returns how many were moved.
 */
export async function redriveSendDlq(resources: LocalResources, clients: LocalClients): Promise<number> {
  const dlq = queueOf(resources, 'SendDeadLetterQueue').url;
  const target = queueOf(resources, 'SendQueue').url;
  let moved = 0;
  for (;;) {
    const counts = await countMessages(clients.sqs, dlq);
    if (counts.visible + counts.inFlight === 0) return moved;
    const page = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
    );
    for (const message of page.Messages ?? []) {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: target,
          MessageBody: message.Body!,
          ...(message.MessageAttributes ? { MessageAttributes: message.MessageAttributes } : {}),
        }),
      );
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: message.ReceiptHandle! }));
      moved++;
    }
  }
}
