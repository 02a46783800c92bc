import type { Logger } from '@aws-lambda-powertools/logger';
import type { CampaignCounters } from '../adapters/campaign-counters.ts';
import { type JobStore, OPEN_SHARDS } from '../adapters/job-store.ts';
import type { SweepWatermark } from '../adapters/sweep-watermark.ts';
import { isOpen } from '../domain/delivery-state.ts';
import { JOB_STATES } from '../domain/job-state.ts';
import { BatchTally } from '../send/batch-tally.ts';

export interface SweepDeps {
  jobs: JobStore;
  counters: CampaignCounters;
  watermark: SweepWatermark;
  logger: Logger;
  now: () => number;
}

export interface SweepResult {
  /** Index entries whose deadline fell in this run's window. */
  examined: number;
  dropped: number;
}

/**
 * How long after its deadline an index entry is certain to exist. An accepted job gets its
 * entry when the send's outcome is recorded, which can be up to a send's duration (the send
 * function's 30 s timeout) after the deadline, and the index trails the table by a moment.
 */
export const SWEEP_SETTLE_MS = 5 * 60_000;

/** A sweep that fell behind (an outage) catches up this much per run, so each run stays short. */
export const SWEEP_MAX_WINDOW_MS = 24 * 3_600_000;

/**
 * Marks accepted jobs whose validity ended without a delivered or read status as `dropped`:
 * Meta drops a message it cannot deliver within the template's TTL and says nothing. Runs on a
 * schedule. Every accepted job has one entry in the `byOpenDeadline` index, written once and
 * left in place by the status path (removing it would cost a write per message); the sweep reads
 * each entry once, in the window of deadlines since the last run, reads those jobs' states
 * (eventually consistent, a projection), and drops the ones still accepted or sent with a
 * conditional write. The watermark moves only after the whole window is done, so a run that
 * fails is repeated; the jobs it dropped already read as `dropped` then and cost no write.
 */
export async function sweepDropped(deps: SweepDeps): Promise<SweepResult> {
  const result: SweepResult = { examined: 0, dropped: 0 };
  const now = deps.now();
  const sweptUntil = await deps.watermark.read();
  const settled = now - SWEEP_SETTLE_MS;
  const upTo = sweptUntil === undefined ? settled : Math.min(settled, sweptUntil + SWEEP_MAX_WINDOW_MS);
  const after = sweptUntil ?? 0;
  if (upTo <= after) return result;
  for (let shard = 0; shard < OPEN_SHARDS; shard++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.jobs.findDeadlines(String(shard), after, upTo, startKey);
      startKey = page.next;
      result.examined += page.jobKeys.length;
      await dropOpen(page.jobKeys, now, deps, result);
    } while (startKey);
  }
  if (!(await deps.watermark.advance(sweptUntil, upTo, now))) deps.logger.warn('another sweep moved the watermark meanwhile', { upTo: new Date(upTo).toISOString() });
  if (result.dropped > 0) deps.logger.info('jobs dropped by Meta (validity ended undelivered)', { ...result });
  return result;
}

/** Drops the still open jobs among these, and counts them right away: a later failure of the run must not lose the counts. */
async function dropOpen(jobKeys: readonly string[], now: number, deps: SweepDeps, result: SweepResult): Promise<void> {
  if (jobKeys.length === 0) return;
  const tally = new BatchTally();
  for (const candidate of await deps.jobs.candidates(jobKeys)) {
    if (!isOpen(candidate.state)) continue;
    const previous = await deps.jobs.markDropped(candidate.jobKey, now);
    if (!previous) continue;
    result.dropped++;
    tally.transition(candidate.campaignId, { state: previous }, { state: JOB_STATES.dropped });
  }
  await deps.counters.add(tally.byCampaign);
}
