import { parseCallbackData } from '../domain/callback-data.ts';
import { combineProgress, type ProgressChange, type ProgressReport, routeOf } from '../domain/delivery-state.ts';
import { JOB_STATES } from '../domain/job-state.ts';
import { waIdToE164 } from '../domain/opt-out.ts';
import type { MetaStatus } from '../domain/webhook-events.ts';
import { WamidNotFound } from '../errors.ts';
import type { BatchTally } from '../jobs/batch-tally.ts';
import { type JobRecord, jobKeyOf } from '../jobs/job-record.ts';
import type { JobStore } from '../jobs/job-store.ts';

/**
 * Progress statuses (sent, delivered, read) written to a job: shared by the status function and
 * the webhook function, which applies the statuses whose callback data names their job where
 * they arrive. Kept apart from the rest of the status path so the webhook's bundle stays small.
 */
export type ProgressJobs = Pick<JobStore, 'applyProgress'>;

/** Progress statuses of one message, combined into one change: `statuses` is how many it stands for. */
export interface ProgressWrite {
  jobKey: string;
  wamid: string;
  change: ProgressChange;
  statuses: number;
}

export function progressReport(status: MetaStatus): ProgressReport {
  return { status: status.status as ProgressReport['status'], at: metaTime(status), route: routeOf(status.pricing?.category) };
}

export const metaTime = (status: MetaStatus) => Number(status.timestamp) * 1000;

/** The recipient the statuses name, as the jobs store it; undefined when none names one. */
export function recipientOf(statuses: readonly MetaStatus[]): string | undefined {
  const recipientId = statuses.find((status) => status.recipient_id)?.recipient_id;
  return recipientId ? waIdToE164(recipientId) : undefined;
}

/**
 * The progress statuses of one message (none `failed`) written to the job their callback data
 * names, without looking it up first. False when the callback data names no job of ours, or when
 * that item does not hold this wamid (another recipient id, an `unknown` job, a status before the
 * send's own write): nothing written, nothing counted, and the caller finds the job by wamid.
 */
export async function applyProgressToNamedJob(
  wamid: string,
  statuses: readonly MetaStatus[],
  jobs: ProgressJobs,
  tally: BatchTally,
): Promise<boolean> {
  const recipient = recipientOf(statuses);
  const ref = statuses.map((status) => parseCallbackData(status.biz_opaque_callback_data).ref).find(Boolean);
  if (!recipient || !ref) return false;
  const write = { jobKey: jobKeyOf(ref.campaignId, recipient), ...combinedProgress(wamid, statuses) };
  return applyProgress(write, jobs, tally, { onlyIfItHoldsTheWamid: true });
}

/** The statuses of one message as one write's change. */
export function combinedProgress(wamid: string, statuses: readonly MetaStatus[]): Omit<ProgressWrite, 'jobKey'> {
  return { wamid, change: combineProgress(statuses.map(progressReport))!, statuses: statuses.length };
}

/**
 * The progress write on `write.jobKey`, and its counts. With `onlyIfItHoldsTheWamid` (a job named
 * by callback data, not found by wamid) an item that does not hold the wamid is left alone and
 * false is returned: nothing written, nothing counted.
 */
export async function applyProgress(
  write: ProgressWrite,
  jobs: ProgressJobs,
  tally: BatchTally,
  { onlyIfItHoldsTheWamid = false } = {},
): Promise<boolean> {
  const result = await jobs.applyProgress(write.jobKey, write.wamid, write.change);
  if (result.written) {
    // Deliveries are counted from the jobs table's stream (`count-stream-batch.ts`), once per job whoever wrote them.
    if (write.change.route === 'cloud_api_fallback') tally.metric('CloudApiFallbacks');
    return true;
  }
  if (onlyIfItHoldsTheWamid && result.current?.wamid !== write.wamid) return false;
  if (!result.current) throw new WamidNotFound('job item not readable yet');
  countNoOp(result.current, write.wamid, write.statuses, tally);
  return true;
}

/** Why a status changed nothing, from the item as it was when the write was refused. */
export function countNoOp(current: JobRecord, wamid: string, statuses: number, tally: BatchTally): void {
  // A status of an earlier attempt (the job has been sent again since): history only.
  if (current.wamid !== wamid) tally.metric('StaleStatuses', statuses);
  else tally.metric(current.state === JOB_STATES.sending ? 'StatusesDuringResend' : 'DuplicateOrLateStatuses', statuses);
}
