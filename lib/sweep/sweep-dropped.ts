import type { Logger } from '@aws-lambda-powertools/logger';
import { isOpen } from '../domain/delivery-state.ts';
import type { JobStore } from '../jobs/job-store.ts';
import { OPEN_DEADLINE_SHARDS, type OpenDeadlines } from '../ports/open-deadlines.ts';
import type { SweepWatermark } from '../ports/sweep-watermark.ts';
import { type AutomaticResend, resendUnknownAutomatically, type UnknownSweepResult } from './sweep-unknown.ts';

/** The sweep function's runtime. */
export interface SweepRuntime {
  jobs: JobStore;
  openDeadlines: OpenDeadlines;
  watermark: SweepWatermark;
  logger: Logger;
  now: () => number;
  /** Absent unless `UNKNOWN_RESEND_AUTOMATIC`. */
  unknownResend?: AutomaticResend;
  metric: (name: string, value: number) => void;
}

export interface SweepResult {
  /** Job keys listed in the records whose deadline fell in this run's window (a job listed twice counts twice). */
  examined: number;
  dropped: number;
  /** Only with the automatic re-send of `unknown` jobs on. */
  unknown?: UnknownSweepResult;
}

/**
 * One scheduled run: the dropped sweep and, if configured, the re-send of `unknown` jobs. One
 * failing does not keep the other from running; the run then fails, and the next one repeats it.
 */
export async function sweep(deps: SweepRuntime): Promise<SweepResult> {
  const { unknownResend } = deps;
  const [dropped, unknown] = await Promise.allSettled([
    sweepDropped(deps),
    unknownResend ? resendUnknownAutomatically(unknownResend, deps) : Promise.resolve(undefined),
  ]);
  if (dropped.status === 'rejected') throw dropped.reason;
  if (unknown.status === 'rejected') throw unknown.reason;
  return unknown.value ? { ...dropped.value, unknown: unknown.value } : dropped.value;
}

/**
 * How long after its deadline a job's state can be judged. The record listing the job exists
 * before the job is claimed, but a send that started just before the deadline records Meta's
 * acceptance up to a send's duration (the send function's 30 s timeout) later, and the sweep
 * reads states eventually consistent: a job read as `sending` would never be looked at again.
 */
export const SWEEP_SETTLE_MS = 5 * 60_000;

/** A sweep that fell behind (an outage) catches up this much per run, so each run stays short. */
export const SWEEP_MAX_WINDOW_MS = 24 * 3_600_000;

/**
 * Marks accepted jobs whose validity ended without a delivered or read status as `dropped`:
 * Meta drops a message it cannot deliver within the template's TTL and says nothing. Runs on a
 * schedule. Every send batch lists its jobs in one open-deadlines record, keyed by the latest of
 * their deadlines (a job looked at before its own deadline would be missed for good), before it
 * claims any of them: one write per batch, not per message. The sweep reads each record once, in
 * the window of deadlines since the last run, reads the listed jobs' states (eventually
 * consistent, a projection), and drops the ones still accepted or sent with a conditional write;
 * the others (never sent, delivered, failed) are left alone. The watermark moves only after the
 * whole window is done, so a run that fails is repeated; the jobs it dropped already read as
 * `dropped` then and cost no write.
 */
export async function sweepDropped(deps: SweepRuntime): Promise<SweepResult> {
  const result: SweepResult = { examined: 0, dropped: 0 };
  const now = deps.now();
  const sweptUntil = await deps.watermark.read();
  const settled = now - SWEEP_SETTLE_MS;
  const upTo = sweptUntil === undefined ? settled : Math.min(settled, sweptUntil + SWEEP_MAX_WINDOW_MS);
  const after = sweptUntil ?? 0;
  if (upTo <= after) return result;
  for (let shard = 0; shard < OPEN_DEADLINE_SHARDS; shard++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.openDeadlines.page(shard, after, upTo, startKey);
      startKey = page.next;
      result.examined += page.jobKeys.length;
      await dropOpen(page.jobKeys, now, deps, result);
    } while (startKey);
  }
  if (!(await deps.watermark.advance(sweptUntil, upTo, now)))
    deps.logger.warn('another sweep moved the watermark meanwhile', { upTo: new Date(upTo).toISOString() });
  if (result.dropped > 0) deps.logger.info('jobs dropped by Meta (validity ended undelivered)', { ...result });
  return result;
}

/**
 * Drops the still open jobs among these, and counts them right away, also when a later write
 * fails: the repeated run finds them dropped already and would never count them. A job retried
 * in another batch can be listed twice in one page: `candidates` reads it once.
 */
async function dropOpen(jobKeys: readonly string[], now: number, deps: SweepRuntime, result: SweepResult): Promise<void> {
  if (jobKeys.length === 0) return;
  for (const candidate of await deps.jobs.candidates(jobKeys)) {
    if (!isOpen(candidate.state)) continue;
    if (await deps.jobs.markDropped(candidate.jobKey, now)) result.dropped++;
  }
}
