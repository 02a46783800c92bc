/**
 * Watches a run until every job is accepted, no webhook is pending, the queues are empty and the
 * target's campaign figures show every job delivered or read; or gives up when nothing moves for
 * `stallSeconds`, at `timeoutSeconds`, or when interrupted. Says a progress line every 10 s.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { EnqueueProgress } from './enqueue.ts';
import type { ProcSampler } from './proc-sampler.ts';
import type { SimulatorChild } from './simulator-child.ts';
import type { SimProgress } from './simulator-protocol.ts';
import type { BenchStage } from './target.ts';
import type { RunOptions } from './types.ts';

/** What {@link waitUntilDone} gets. */
export interface WatchInput {
  sim: SimulatorChild;
  stage: BenchStage;
  /** Reads the queues' depths (not counted as anyone's requests). */
  sqs: SQSClient;
  sampler: ProcSampler;
  enqueue: EnqueueProgress;
  campaignIds: string[];
  options: Pick<RunOptions, 'label' | 'jobs' | 'stallSeconds' | 'timeoutSeconds' | 'signal' | 'say'>;
}

/** How the watch ended. */
export interface WatchOutcome {
  completed: boolean;
  incompleteReason?: string;
}

/** A look at the run: the simulator's progress, the campaign's figures and the queues. */
interface Look {
  progress: SimProgress;
  deliveredOrRead: number;
  sendDepth: number;
  statusDepth: number;
  deferredDepth: number;
}

const POLL_MS = 2_000;
const SAY_EVERY_MS = 10_000;
const MAX_FAILED_LOOKS = 30;

/** Polls every 2 s until the run is done or given up; throws the enqueueing's error if it failed. */
export async function waitUntilDone(input: WatchInput): Promise<WatchOutcome> {
  const { options, enqueue } = input;
  let lastFingerprint = '';
  let lastChange = Date.now();
  let lastSay = 0;
  let lastAccepted = 0;
  let lastAcceptedAt = Date.now();
  let failedLooks = 0;
  for (;;) {
    await sleep(POLL_MS);
    if (enqueue.error) throw enqueue.error;
    if (options.signal?.aborted) return { completed: false, incompleteReason: 'interrupted' };
    let look: Look;
    try {
      look = await lookAt(input);
      failedLooks = 0;
    } catch (error) {
      // A slow or failing look is not the run failing: look again, give up after 30 in a row.
      failedLooks += 1;
      if (failedLooks >= MAX_FAILED_LOOKS)
        return { completed: false, incompleteReason: `progress unreadable 30 times in a row: ${(error as Error).message}` };
      continue;
    }
    const now = Date.now();
    const accepted = look.progress.acceptedRecipients;
    if (now - lastSay >= SAY_EVERY_MS) {
      options.say(progressLine({ input, look, now, rate: ((accepted - lastAccepted) * 1000) / Math.max(1, now - lastAcceptedAt) }));
      lastSay = now;
      lastAccepted = accepted;
      lastAcceptedAt = now;
    }
    const { progress, deliveredOrRead, sendDepth, statusDepth } = look;
    const fingerprint = JSON.stringify([
      enqueue.enqueued,
      accepted,
      progress.stats.total,
      progress.webhooks.delivered,
      deliveredOrRead,
      sendDepth,
      statusDepth,
    ]);
    if (fingerprint !== lastFingerprint) lastChange = now;
    lastFingerprint = fingerprint;
    const webhooksDone = progress.webhooks.pending === 0 && statusDepth === 0 && deliveredOrRead >= options.jobs;
    if (enqueue.done && accepted >= options.jobs && sendDepth === 0 && webhooksDone) return { completed: true };
    if (now - lastChange > options.stallSeconds * 1000)
      return { completed: false, incompleteReason: `no progress for ${options.stallSeconds} s` };
    if (now - enqueue.startedAt > options.timeoutSeconds * 1000)
      return { completed: false, incompleteReason: `time limit of ${options.timeoutSeconds} s reached` };
  }
}

async function lookAt(input: WatchInput): Promise<Look> {
  const { queues } = input.stage;
  const progress = await input.sim.request<SimProgress>({ type: 'progress' });
  const perCampaign = await Promise.all(input.campaignIds.map((campaignId) => input.stage.deliveredOrRead(campaignId)));
  const deliveredOrRead = perCampaign.reduce((sum, n) => sum + n, 0);
  const depth = (queueUrl: string) => queueDepth(input.sqs, queueUrl);
  const [sendDepth, statusDepth, deferredDepth] = await Promise.all([depth(queues.send), depth(queues.status), depth(queues.deferred)]);
  return { progress, deliveredOrRead, sendDepth, statusDepth, deferredDepth };
}

/** Messages on the queue: visible, in flight and delayed. */
async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

function progressLine({ input, look, now, rate }: { input: WatchInput; look: Look; now: number; rate: number }): string {
  const usage = input.sampler.usageBetween(now - SAY_EVERY_MS, now);
  const cpu = Object.entries(usage.percentOfCore)
    .map(([name, pct]) => `${name.split(' ')[0]!.replace(':', '')} ${Math.round(pct)}%`)
    .join(', ');
  const { progress } = look;
  return (
    `  ${String(Math.round((now - input.enqueue.startedAt) / 1000)).padStart(5)} s  enqueued ${input.enqueue.enqueued}  accepted ${progress.acceptedRecipients} (${rate.toFixed(1)}/s)  130429 ${progress.stats.byOutcome['130429'] ?? 0}` +
    `  webhooks ${progress.webhooks.delivered}  delivered/read ${look.deliveredOrRead}  queues send ${look.sendDepth} status ${look.statusDepth} deferred ${look.deferredDepth}  CPU ${cpu}, other ${Math.round(usage.otherPercentOfCore)}% (machine ${Math.round(usage.machinePercent)}%)`
  );
}
