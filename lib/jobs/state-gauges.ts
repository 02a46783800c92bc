import { JOB_STATES } from '../domain/job-state.ts';
import type { Decision } from '../domain/send-plan.ts';
import type { BatchTally, GaugeState } from './batch-tally.ts';
import { itemKeyOf, type JobRecord } from './job-record.ts';
import type { JobStore } from './job-store.ts';

/**
 * The one owner of the campaigns' state gauges: a job store whose every write that moves a job
 * from one state to another moves its recipient from one gauge to the other in the batch's tally,
 * at the moment the write succeeds. No other code counts state changes, so a gauge cannot miss
 * or double a move whichever path (send, status, sweep) made it.
 */
export function countingStateChanges(jobs: JobStore, tally: BatchTally): JobStore {
  return {
    findByWamid: (wamid, recipient) => jobs.findByWamid(wamid, recipient),
    recordAlias: (job, waRecipient, wamid) => jobs.recordAlias(job, waRecipient, wamid),
    dialledNumberOf: (waRecipient) => jobs.dialledNumberOf(waRecipient),
    candidates: (jobKeys) => jobs.candidates(jobKeys),
    get: (jobKey) => jobs.get(jobKey),
    async claim(request) {
      const result = await jobs.claim(request);
      if (result.claimed) {
        tally.transition(request.job.campaignId, result.previousState ? { state: result.previousState } : undefined, {
          state: request.state,
        });
      }
      return result;
    },
    async recordDecision(write) {
      const recorded = await jobs.recordDecision(write);
      if (recorded) tally.transition(itemKeyOf(write.jobKey).campaignId, undefined, gaugeOf(write.decision));
      return recorded;
    },
    async markUnknown(jobKey, token, now, reason) {
      const marked = await jobs.markUnknown(jobKey, token, now, reason);
      if (marked) tally.transition(itemKeyOf(jobKey).campaignId, undefined, { state: JOB_STATES.unknown });
      return marked;
    },
    async applyProgress(jobKey, wamid, change) {
      const write = await jobs.applyProgress(jobKey, wamid, change);
      if (write.written) tally.transition(write.before.campaignId, gaugeOfRecord(write.before), { state: change.state });
      return write;
    },
    async applyFailure(observed, decision, now, nextDispatchId) {
      const write = await jobs.applyFailure(observed, decision, now, nextDispatchId);
      if (write.written) tally.transition(write.before.campaignId, gaugeOfRecord(write.before), gaugeOf(decision));
      return write;
    },
    async markDropped(jobKey, now) {
      const previous = await jobs.markDropped(jobKey, now);
      if (previous) tally.transition(itemKeyOf(jobKey).campaignId, { state: previous }, { state: JOB_STATES.dropped });
      return previous;
    },
  };
}

/** The gauges a decision moves the job into: its state, and for `failed` its error code. */
function gaugeOf(decision: Decision): GaugeState {
  const errorCode = 'errorCode' in decision ? decision.errorCode : undefined;
  return errorCode === undefined ? { state: decision.state } : { state: decision.state, errorCode };
}

function gaugeOfRecord(job: JobRecord): GaugeState {
  return { state: job.state, ...(job.lastErrorCode === undefined ? {} : { errorCode: job.lastErrorCode }) };
}
