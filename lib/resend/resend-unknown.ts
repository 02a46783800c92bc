import { JOB_STATES } from '../domain/job-state.ts';
import { resendVerdict } from '../domain/resend-rule.ts';
import { dispatchRoute } from '../domain/send-plan.ts';
import { dispatchBodyFromItem } from '../jobs/dispatch-body.ts';
import type { JobRecord } from '../jobs/job-record.ts';
import type { JobStore } from '../jobs/job-store.ts';
import type { JobQueues } from '../ports/job-queues.ts';

/** What re-sending a campaign's `unknown` jobs needs . */
export interface ResendContext {
  jobs: JobStore;
  queues: Pick<JobQueues, 'dispatch'>;
  now: () => number;
  newId: () => string;
  /** How long after its claim a job without a status may be re-sent. */
  windowMs: number;
  /** List what would be re-sent, change nothing. */
  dryRun: boolean;
}

/** Job keys by what became of them. */
export interface ResendReport {
  resent: string[];
  /** A dry run's `resent`. */
  wouldResend: string[];
  tooRecent: string[];
  pastValidity: string[];
  alreadyResent: string[];
  /** Another run re-sent it, or a status settled it, between the read and the write. */
  changedMeanwhile: string[];
  /** Re-sent earlier but still waiting long after: its message was enqueued again. */
  redispatched: string[];
}

/**
 * A re-sent job still waiting this long after its re-send lost its message (the run died between
 * its write and its enqueue): the message is enqueued again. Harmless if it was not lost: only one
 * copy can claim the job.
 */
const REDISPATCH_AFTER_MS = 15 * 60_000;

/**
 * Sends each `unknown` job of a campaign once more, if no status came for it within the window
 * and it is still valid. The write (`unknown` → `retry_wait` for a new dispatch id, marked
 * `resentAt`) comes first and is conditional, so two runs at once re-send a job once; the send
 * path then claims and sends it as any retry.
 */
export async function resendUnknown(campaignId: string, context: ResendContext): Promise<ResendReport> {
  return resendEach(await context.jobs.unknownJobs({ now: context.now(), campaignId }), context);
}

/**
 * The same for every campaign's jobs that became `unknown` longer than the window ago: the
 * sweep's automatic re-send (`UNKNOWN_RESEND_AUTOMATIC`). Younger ones are not even read.
 */
export async function resendAllUnknown(context: ResendContext): Promise<ResendReport> {
  const now = context.now();
  return resendEach(await context.jobs.unknownJobs({ now, unknownBefore: now - context.windowMs }), context);
}

async function resendEach(candidates: readonly JobRecord[], context: ResendContext): Promise<ResendReport> {
  const report: ResendReport = {
    resent: [],
    wouldResend: [],
    tooRecent: [],
    pastValidity: [],
    alreadyResent: [],
    changedMeanwhile: [],
    redispatched: [],
  };
  for (const job of candidates) {
    if (job.state === JOB_STATES.retryWait) await redispatchIfLost(job, context, report);
    else await resendOne(job, context, report);
  }
  return report;
}

async function resendOne(job: JobRecord, context: ResendContext, report: ResendReport): Promise<void> {
  const now = context.now();
  const verdict = resendVerdict(job, now, context.windowMs);
  if (verdict === 'too_recent') report.tooRecent.push(job.jobKey);
  else if (verdict === 'past_validity') report.pastValidity.push(job.jobKey);
  else if (verdict === 'already_resent') report.alreadyResent.push(job.jobKey);
  if (verdict !== 'resend') return;
  if (context.dryRun) {
    report.wouldResend.push(job.jobKey);
    return;
  }
  const nextDispatchId = context.newId();
  const request = { jobKey: job.jobKey, token: job.claimToken, nextDispatchId, now, claimedBefore: now - context.windowMs };
  if (!(await context.jobs.markForResend(request))) {
    report.changedMeanwhile.push(job.jobKey);
    return;
  }
  await dispatch(job, nextDispatchId, context);
  report.resent.push(job.jobKey);
}

async function redispatchIfLost(job: JobRecord, context: ResendContext, report: ResendReport): Promise<void> {
  if (!job.nextDispatchId || !job.dueAt || context.now() - Date.parse(job.dueAt) < REDISPATCH_AFTER_MS) return;
  if (!context.dryRun) await dispatch(job, job.nextDispatchId, context);
  report.redispatched.push(job.jobKey);
}

function dispatch(job: JobRecord, dispatchId: string, context: ResendContext): Promise<void> {
  const now = context.now();
  return context.queues.dispatch(
    dispatchBodyFromItem(job, job.attempt, dispatchId),
    dispatchRoute(now, now),
    'resent after an unknown outcome',
  );
}
