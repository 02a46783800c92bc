import { parseCallbackData } from '../domain/callback-data.ts';
import { JOB_STATES } from '../domain/job-state.ts';
import { unknownJobSentBefore } from '../domain/unknown-match.ts';
import type { MetaStatus } from '../domain/webhook-events.ts';
import type { BatchTally } from '../jobs/batch-tally.ts';
import { jobKeyOf, type ReconciledBy } from '../jobs/job-record.ts';
import { jobRef } from '../observability.ts';
import type { StatusDeps } from './context.ts';

/** Statuses for one wamid that no job holds, and the recipient (E.164) they name. */
export interface OrphanStatuses {
  wamid: string;
  recipient: string;
  statuses: readonly MetaStatus[];
}

/**
 * A status whose wamid no job holds may belong to a job left `unknown` (its worker died, or the
 * answer never came back), which Meta did accept: the status names it through the dispatch
 * reference in its callback data, or failing that by recipient and time. That job takes the
 * status's wamid and becomes `accepted`, so this status and every later one find it
 * (docs/design.md#reconciling-unknown-jobs). The job's key, or undefined when none matched.
 */
export async function reconcileUnknownJob(orphan: OrphanStatuses, deps: StatusDeps, tally: BatchTally): Promise<string | undefined> {
  const ref = orphan.statuses.map((status) => parseCallbackData(status.biz_opaque_callback_data).ref).find(Boolean);
  if (ref) return adopt(orphan, { jobKey: jobKeyOf(ref.campaignId, orphan.recipient), token: ref.token, by: 'callback_data' }, deps, tally);
  if (deps.unknownMatchWindowMs <= 0) return undefined;
  const statusAt = Math.min(...orphan.statuses.map((status) => Number(status.timestamp) * 1000));
  const match = unknownJobSentBefore(await deps.jobs.jobsOfRecipient(orphan.recipient), statusAt, deps.unknownMatchWindowMs);
  if (!match) return undefined;
  return adopt(orphan, { jobKey: match.jobKey, token: match.claimToken, by: 'recipient_time' }, deps, tally);
}

interface Candidate {
  jobKey: string;
  token: string;
  by: ReconciledBy;
}

async function adopt(orphan: OrphanStatuses, candidate: Candidate, deps: StatusDeps, tally: BatchTally): Promise<string | undefined> {
  const write = await deps.jobs.adoptWamid({ ...candidate, wamid: orphan.wamid, now: deps.now() });
  if (!write.written) {
    // Still `sending` (its worker may yet record the answer), or not this claim's status: the
    // status goes back to the queue like any other whose wamid is not known yet.
    if (write.current?.resentAt && write.current.state !== JOB_STATES.unknown && write.current.claimToken !== candidate.token) {
      deps.logger.error('status for a request re-sent after an unknown outcome: the recipient may have two messages', {
        job: jobRef(write.current.campaignId, write.current.recipient),
      });
      tally.metric('StatusesForResentJobs');
    }
    return undefined;
  }
  const before = write.before;
  deps.logger.warn('unknown job settled by its status', { job: jobRef(before.campaignId, before.recipient), by: candidate.by });
  // The gauges and the unique-accepted count follow from the write, through the table's stream (`count-job-changes.ts`).
  tally.metric(candidate.by === 'callback_data' ? 'UnknownReconciledByCallbackData' : 'UnknownReconciledByRecipientTime');
  return candidate.jobKey;
}
