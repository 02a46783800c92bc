/**
 * Enqueues a run's jobs through the target, in chunks: all at once (`burst`, a campaign launch:
 * the backlog is there at once) or at the ceiling (`paced`). Runs in the background while the
 * run watches; its progress is read from the returned object.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type BenchCampaign, benchJobBatch, fleetCeiling } from './scenario.ts';
import type { BenchStage } from './target.ts';
import type { RunOptions } from './types.ts';

/** The enqueueing as it goes. */
export interface EnqueueProgress {
  startedAt: number;
  /** When each recipient's job was created, by the recipient's digits. */
  createdAt: Map<string, number>;
  /** Each recipient's campaign, by the recipient's digits. */
  campaignOf: Map<string, string>;
  enqueued: number;
  done: boolean;
  error: unknown;
}

/** What {@link startEnqueue} gets. */
export interface EnqueueInput {
  stage: BenchStage;
  /** The producer's client: its requests are counted as the send path's. */
  sqs: SQSClient;
  campaigns: BenchCampaign[];
  options: Pick<RunOptions, 'jobs' | 'rate' | 'numbers' | 'arrival' | 'signal'>;
}

const BURST_CHUNK = 1_000;
/** With several campaigns, they take turns in chunks this big, as campaigns fed side by side would. */
const TURN_CHUNK = 100;

/** Starts enqueueing; never rejects (a failure lands in `error`). */
export function startEnqueue(input: EnqueueInput): EnqueueProgress {
  const progress: EnqueueProgress = {
    startedAt: Date.now(),
    createdAt: new Map(),
    campaignOf: new Map(),
    enqueued: 0,
    done: false,
    error: undefined,
  };
  enqueueAll(input, progress).then(
    () => {
      progress.done = true;
    },
    (error: unknown) => {
      progress.error = error;
    },
  );
  return progress;
}

async function enqueueAll(input: EnqueueInput, progress: EnqueueProgress): Promise<void> {
  const { options, campaigns } = input;
  const chunk = campaigns.length > 1 ? TURN_CHUNK : options.arrival === 'burst' ? BURST_CHUNK : Math.max(10, Math.round(options.rate / 5));
  let sent = 0;
  for (const { campaign, from, count } of chunksInTurn(campaigns, chunk)) {
    if (options.signal?.aborted) return;
    if (options.arrival === 'paced') {
      const due = progress.startedAt + (sent / fleetCeiling(options)) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    sent += count;
    const createdAt = Date.now();
    const batch = benchJobBatch({
      campaignId: campaign.campaignId,
      phoneNumberId: campaign.phoneNumberId,
      from: campaign.firstRecipient + from,
      count,
      createdAt,
    });
    for (const recipient of batch.recipients) {
      const digits = recipient.phone.replace(/\D/g, '');
      progress.createdAt.set(digits, createdAt);
      progress.campaignOf.set(digits, campaign.campaignId);
    }
    progress.enqueued += await input.stage.enqueue(input.sqs, batch);
  }
}

/**
 * Each campaign's jobs in chunks, the campaigns taking turns until all are done; a campaign's
 * chunk is in proportion to its jobs, so that all of them end together and each number's share
 * of the queue stays its share of the jobs (two campaigns sharing a number take half each).
 */
function* chunksInTurn(campaigns: BenchCampaign[], chunk: number): Generator<{ campaign: BenchCampaign; from: number; count: number }> {
  const largest = Math.max(...campaigns.map((c) => c.jobs));
  const sizes = campaigns.map((c) => Math.max(1, Math.round((chunk * c.jobs) / largest)));
  for (let round = 0; campaigns.some((c, i) => round * sizes[i]! < c.jobs); round++) {
    for (const [i, campaign] of campaigns.entries()) {
      const from = round * sizes[i]!;
      if (from < campaign.jobs) yield { campaign, from, count: Math.min(sizes[i]!, campaign.jobs - from) };
    }
  }
}
