/**
 * Enqueues a run's jobs through the target, in chunks: all at once (`burst`, a campaign launch:
 * the backlog is there at once) or at the ceiling (`paced`). Runs in the background while the
 * run watches; its progress is read from the returned object.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { benchJobBatch } from './scenario.ts';
import type { BenchStage } from './target.ts';
import type { RunOptions } from './types.ts';

/** The enqueueing as it goes. */
export interface EnqueueProgress {
  startedAt: number;
  /** When each recipient's job was created, by the recipient's digits. */
  createdAt: Map<string, number>;
  enqueued: number;
  done: boolean;
  error: unknown;
}

/** What {@link startEnqueue} gets. */
export interface EnqueueInput {
  stage: BenchStage;
  /** The producer's client: its requests are counted as the send path's. */
  sqs: SQSClient;
  campaignId: string;
  options: Pick<RunOptions, 'jobs' | 'rate' | 'arrival' | 'signal'>;
}

const BURST_CHUNK = 1_000;

/** Starts enqueueing; never rejects (a failure lands in `error`). */
export function startEnqueue(input: EnqueueInput): EnqueueProgress {
  const progress: EnqueueProgress = { startedAt: Date.now(), createdAt: new Map(), enqueued: 0, done: false, error: undefined };
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
  const { options } = input;
  const chunk = options.arrival === 'burst' ? BURST_CHUNK : Math.max(10, Math.round(options.rate / 5));
  for (let from = 0; from < options.jobs && !options.signal?.aborted; from += chunk) {
    if (options.arrival === 'paced') {
      const due = progress.startedAt + (from / options.rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const createdAt = Date.now();
    const batch = benchJobBatch({ campaignId: input.campaignId, from, count: Math.min(chunk, options.jobs - from), createdAt });
    for (const recipient of batch.recipients) progress.createdAt.set(recipient.phone.replace(/\D/g, ''), createdAt);
    progress.enqueued += await input.stage.enqueue(input.sqs, batch);
  }
}
