import { isDeliveryStatus, statusApplies } from '../domain/delivery-state.ts';
import { type Decision, dispatchRoute, planAfterSend, planPerUserLimitRetry } from '../domain/send-plan.ts';
import type { MetaStatus } from '../domain/webhook-events.ts';
import { accountOfNumber } from '../domain/whatsapp-accounts.ts';
import { InvalidWebhookEvent, JobKeptChanging, WamidNotFound } from '../errors.ts';
import type { BatchTally } from '../jobs/batch-tally.ts';
import { dispatchBodyFromItem } from '../jobs/dispatch-body.ts';
import type { JobRecord } from '../jobs/job-record.ts';
import { recordUserEffects } from '../jobs/user-effects.ts';
import { jobRef } from '../observability.ts';
import type { StatusDeps } from './context.ts';
import { applyProgress, applyProgressToNamedJob, combinedProgress, countNoOp, metaTime, recipientOf } from './progress-write.ts';
import { reconcileUnknownJob } from './reconcile-unknown.ts';

/** How often a `failed` status is re-planned after a concurrent change before it is handed back to the queue. */
const OPTIMISTIC_RETRIES = 3;

/**
 * Applies the statuses one batch holds for one message (wamid), in the order they arrived.
 * Progress statuses (sent, delivered, read) become one conditional write: on the job their
 * callback data names, without a lookup, or else on the job found by wamid (a query). The state
 * machine's condition is part of the write, and the item a refused write returns tells a
 * duplicate from a status of an earlier attempt. A `failed` status needs the job
 * (its attempt and validity decide the retry), so it reads first; with one in the group, the
 * statuses are applied one by one in order, as each would have been on its own. Throws to hand
 * every status of the group back to the queue.
 */
export async function applyStatuses(wamid: string, statuses: readonly MetaStatus[], deps: StatusDeps, tally: BatchTally): Promise<void> {
  const delivery = statuses.filter((status) => isDeliveryStatus(status.status));
  if (delivery.length < statuses.length) tally.metric('StatusesIgnored', statuses.length - delivery.length);
  if (delivery.length === 0) return;
  const recipient = recipientOf(delivery);
  if (!recipient) throw new InvalidWebhookEvent('status without recipient_id: its job cannot be looked up');
  const failed = delivery.some((status) => status.status === 'failed');
  if (!failed && delivery.length > 1) tally.metric('StatusesCoalesced', delivery.length - 1);
  if (!failed && (await applyProgressToNamedJob(wamid, delivery, deps.jobs, tally))) return;
  const jobKey =
    (await deps.jobs.findByWamid(wamid, recipient)) ?? (await reconcileUnknownJob({ wamid, recipient, statuses: delivery }, deps, tally));
  if (!jobKey) throw new WamidNotFound(`no job with this wamid yet (${delivery.map((s) => s.status).join(', ')})`);
  if (!failed) {
    await applyProgress({ jobKey, ...combinedProgress(wamid, delivery) }, deps.jobs, tally);
    return;
  }
  for (const status of delivery) {
    if (status.status === 'failed') await applyFailure(jobKey, status, deps, tally);
    else await applyProgress({ jobKey, ...combinedProgress(wamid, [status]) }, deps.jobs, tally);
  }
}

/** A `failed` status: the same planning as a synchronous error, with the hit time from Meta. */
async function applyFailure(jobKey: string, status: MetaStatus, deps: StatusDeps, tally: BatchTally): Promise<void> {
  let observed = await deps.jobs.get(jobKey);
  for (let tries = 0; tries < OPTIMISTIC_RETRIES; tries++) {
    if (!observed) throw new WamidNotFound('job item not readable yet');
    if (observed.wamid !== status.id || !statusApplies(observed.state, 'failed')) {
      countNoOp(observed, status.id, 1, tally);
      return;
    }
    const decision = planFailure(observed, status, deps);
    const nextDispatchId = 'dueAt' in decision ? deps.newId() : undefined;
    // The user's record and the retry's message go out before the job write: once the job has
    // moved on, a redelivered status is a no-op, so anything after the write that failed would
    // be lost. A message whose job write then loses a race is refused when it comes due (its
    // dispatch id is not the one the job waits for).
    await recordUserEffects(deps.users, {
      decision,
      recipient: observed.recipient,
      account: accountOfNumber(deps.accounts, observed.phoneNumberId),
      at: metaTime(status),
      now: deps.now(),
    });
    if ('dueAt' in decision && nextDispatchId) {
      await deps.queues.dispatch(
        dispatchBodyFromItem(observed, decision.attempt, nextDispatchId),
        dispatchRoute(decision.dueAt, deps.now()),
        decision.reason,
      );
    }
    const result = await deps.jobs.applyFailure(observed, decision, deps.now(), nextDispatchId);
    if (result.written) return countFailure(result.before, decision, deps, tally);
    // The item changed between our read and write (another status, a resend): the refused
    // write returned it as it is now, so look again without another read.
    observed = result.current;
  }
  throw new JobKeptChanging('job kept changing while applying a status; retrying later');
}

function planFailure(job: JobRecord, status: MetaStatus, deps: StatusDeps): Decision {
  const code = status.errors?.[0]?.code ?? 131000;
  const progress = { attempt: job.attempt, retries: job.retries, validUntil: Date.parse(job.validUntil) };
  return code === 131049
    ? planPerUserLimitRetry(progress, metaTime(status), deps.retryPolicy)
    : planAfterSend({ kind: 'meta_error', code, message: status.errors?.[0]?.message ?? '', httpStatus: 200 }, progress, {
        now: deps.now(),
        policy: deps.retryPolicy,
        random: deps.random,
      });
}

function countFailure(job: JobRecord, decision: Decision, deps: StatusDeps, tally: BatchTally): void {
  const errorCode = 'errorCode' in decision ? decision.errorCode : undefined;
  deps.logger.info('message failed after acceptance', {
    job: jobRef(job.campaignId, job.recipient),
    code: errorCode,
    next: decision.state,
  });
  // The campaign counts follow from the job's change, through the table's stream (`count-job-changes.ts`): metrics only here.
  if ('dueAt' in decision) tally.metric('RetriesScheduled');
  // Every 131049 is a hit, also the one that ends the job `limit_exhausted` or `expired`.
  if (errorCode === 131049) tally.metric('PerUserLimitHits');
}
