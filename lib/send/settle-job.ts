import { isFeedRowToken, rowOfFeedToken } from '../domain/feed-dispatch-id.ts';
import { JOB_STATES, WAITING_STATES } from '../domain/job-state.ts';
import { waIdToE164 } from '../domain/opt-out.ts';
import { type Decision, dispatchRoute, isPerUserLimitHit } from '../domain/send-plan.ts';
import { ClaimInProgress } from '../errors.ts';
import type { BatchTally } from '../jobs/batch-tally.ts';
import { dispatchBody } from '../jobs/dispatch-body.ts';
import type { ClaimRequest, JobRecord } from '../jobs/job-record.ts';
import { recordUserEffects } from '../jobs/user-effects.ts';
import type { SendDeps, SendingRecord } from './context.ts';

/** How a job ends (or waits) without an API call. */
export type Settlement = Pick<ClaimRequest, 'now' | 'reason' | 'deferral'> & { state: Exclude<ClaimRequest['state'], 'sending'> };

/** Records a job that is settled (or postponed) without an API call; false for a duplicate. */
export async function settleWithoutSending(sending: SendingRecord, settlement: Settlement): Promise<boolean> {
  const { job, token, createdAt, validUntil, deps, tally, log } = sending;
  const result = await deps.jobs.claim({ job, token, createdAt, validUntil, ...settlement });
  if (!result.claimed) {
    await settleConflict(sending, result.existing);
    return false;
  }
  log.info('job settled without sending', { state: settlement.state, reason: settlement.reason });
  if (settlement.state === JOB_STATES.deferred) tally.metric('JobsDeferredBeforeSending');
  return true;
}

/** Records the outcome of a claimed send, then what follows from it: the wa_id alias, the user's record, the next dispatch. */
export async function applyDecision(sending: SendingRecord, jobRecord: JobRecord, decision: Decision): Promise<void> {
  const { job, token, deps, tally, log } = sending;
  const isWait = decision.state === JOB_STATES.retryWait || decision.state === JOB_STATES.deferred;
  const nextDispatchId = isWait ? deps.newId() : undefined;
  // The one write that must not be lost after Meta answered: retried on transient errors (it
  // is conditional on the claim, so a repeat cannot overwrite anything else).
  const write = { jobKey: jobRecord.jobKey, token, decision, ...(nextDispatchId ? { nextDispatchId } : {}) };
  const recorded = await withRetries(() => deps.jobs.recordDecision({ ...write, now: deps.now() }), deps);
  if (!recorded) {
    // Another worker settled this claim (it judged ours dead). Its decision stands.
    log.error('lost the claim while sending; the other worker decides', { decision: decision.state });
    tally.metric('ClaimsLost');
    return;
  }
  if (decision.state === JOB_STATES.accepted) await recordWaIdAlias(sending, jobRecord, decision);
  await recordUserEffects(deps.users, { decision, recipient: job.recipient, account: sending.account, at: deps.now(), now: deps.now() });
  if ('dueAt' in decision && nextDispatchId) {
    await deps.queues.dispatch(
      dispatchBody(job, decision.attempt, nextDispatchId, jobRecord.createdAt),
      dispatchRoute(decision.dueAt, deps.now()),
      decision.reason,
    );
  }
  countDecision(jobRecord, decision, tally);
  if (decision.state === JOB_STATES.unknown) {
    log.error('send outcome unknown; not retried, re-sent once only if no status comes within the window', { reason: decision.reason });
  }
}

/**
 * Meta names the recipient by its WhatsApp id in every status. Where that is not the dialled
 * number (Brazil, Mexico), the status path would not find the job under it: leave a pointer
 * there. A failure loses no send, only the statuses' way to the job (they end in the status
 * DLQ, where the metric points an operator).
 */
async function recordWaIdAlias(
  { deps, tally, log }: SendingRecord,
  jobRecord: JobRecord,
  decision: Extract<Decision, { state: 'accepted' }>,
): Promise<void> {
  if (decision.waId === undefined) return;
  const waRecipient = waIdToE164(decision.waId);
  if (waRecipient === jobRecord.recipient) return;
  try {
    await withRetries(() => deps.jobs.recordAlias(jobRecord, waRecipient, decision.wamid), deps);
    tally.metric('WaIdAliases');
  } catch (error) {
    log.error('wa_id alias not written: statuses for this message will not find its job', { error: error as Error });
    tally.metric('WaIdAliasFailures');
  }
}

/**
 * The claim was refused: the job item exists and this message may not send it. Either this
 * very message was handled before and its worker stopped half-way, or it is a duplicate.
 */
export async function settleConflict(sending: SendingRecord, existing: JobRecord): Promise<void> {
  const { job, token, deps, tally, log } = sending;
  const ownClaim = existing.claimToken === token;
  if (!ownClaim && isFeedRowToken(token)) {
    // Another row of the campaign's audience has the same recipient: one message each, never two.
    log.info('recipient listed twice in the audience: not sent again', { row: rowOfFeedToken(token) });
    tally.count(job.campaignId, 'duplicates', 'DuplicateRecipients');
    return;
  }
  if (existing.state === JOB_STATES.sending) {
    const fresh = existing.claimedAt !== undefined && deps.now() - Date.parse(existing.claimedAt) < deps.config.claimStaleMs;
    if (fresh && ownClaim) {
      // Another copy of this very message holds the claim right now: let it finish, and look
      // again after the visibility timeout (the job will be settled, or its worker dead).
      throw new ClaimInProgress('another copy of this message is sending the job');
    }
    if (fresh) {
      log.info('duplicate delivery ignored while the job is being sent');
      tally.metric('DuplicateDeliveries');
      return;
    }
    // The claim's worker died before recording an answer. Any copy of the job settles it, also
    // one with a new message id (a DLQ redrive): the write is conditional on the old claim. The
    // request may have reached Meta, and Meta's send is not idempotent: never send it again.
    if (await deps.jobs.markUnknown(existing.jobKey, existing.claimToken, deps.now(), 'worker stopped during the send')) {
      log.error('send interrupted; outcome unknown, not re-sent');
    }
    return;
  }
  if (!ownClaim) {
    log.info('duplicate delivery ignored', { state: existing.state });
    tally.metric('DuplicateDeliveries');
    return;
  }
  if (WAITING_STATES.includes(existing.state) && existing.nextDispatchId && existing.dueAt) {
    // The wait was recorded but the worker may have died before enqueueing its message.
    // Enqueue it again: the claim lets only one copy through.
    await deps.queues.dispatch(
      dispatchBody(job, existing.attempt, existing.nextDispatchId, existing.createdAt),
      dispatchRoute(Date.parse(existing.dueAt), deps.now()),
      'recovered re-dispatch',
    );
    return;
  }
  tally.metric('DuplicateDeliveries');
}

/**
 * The metrics a recorded decision adds. Its campaign counts (gauges, unique accepted, retries,
 * 131049 hits) follow from the decision's write, through the jobs table's stream (`count-job-changes.ts`).
 */
function countDecision(before: JobRecord, decision: Decision, tally: BatchTally): void {
  // Every 131049 is a hit, also the one that ends the job `limit_exhausted` or `expired`.
  if (isPerUserLimitHit(decision)) tally.metric('PerUserLimitHits');
  switch (decision.state) {
    case JOB_STATES.accepted:
      tally.metric('JobsAccepted');
      // `acceptedAt` is never removed: without it, this recipient was never accepted before.
      if (!before.acceptedAt) tally.metric('UniqueAccepted');
      if (before.attempt > 1 || before.retries > 0) tally.metric('JobsAcceptedOnRetry');
      return;
    case JOB_STATES.retryWait:
      if (!decision.held) tally.metric(decision.errorKind === 'throttled' ? 'Throttled' : 'RetriesScheduled');
      return;
    case JOB_STATES.deferred:
      tally.metric('Deferred');
      return;
    default:
      tally.metric(
        `Jobs${decision.state === JOB_STATES.limitExhausted ? 'LimitExhausted' : decision.state[0]!.toUpperCase() + decision.state.slice(1)}`,
      );
  }
}

/** Retries a write that must not be lost, with a short backoff, on any error. */
async function withRetries<T>(write: () => Promise<T>, deps: Pick<SendDeps, 'logger' | 'sleep'>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= attempts) throw error;
      deps.logger.warn('outcome write failed; retrying', { attempt, error: (error as Error).name });
      await deps.sleep(100 * 2 ** attempt);
    }
  }
}
