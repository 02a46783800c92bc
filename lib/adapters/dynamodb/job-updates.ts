import type { ProgressChange } from '../../domain/delivery-state.ts';
import { JOB_STATES } from '../../domain/job-state.ts';
import { type Decision, isPerUserLimitHit } from '../../domain/send-plan.ts';
import type { StoredContract } from '../../jobs/job-item.ts';
import { type ClaimRequest, type JobRecord, jobKeyOf, type ResendRequest, type WamidAdoption } from '../../jobs/job-record.ts';
import type { JobTally } from '../../jobs/state-gauges.ts';
import { UpdateBuilder } from './update-builder.ts';

/** `claimedFrom` of a job claimed for the first time: counted in no state before. */
const NOT_CLAIMED_BEFORE = 'none';

/** The shapes of the job item's writes: which attributes each one sets and removes. Pure. */

export const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The keys of the sparse index of `unknown` jobs (infra/tables.yml, `unknown-jobs-by-day`): set by
 * the write that makes a job `unknown`, removed by every write that takes it out of that state
 * except the re-send, which keeps them until the job is claimed again, so a re-send whose message
 * was lost is found and enqueued again.
 */
export const UNKNOWN_INDEX = { name: 'unknown-jobs-by-day', day: 'unknownDay', since: 'unknownSince' } as const;
export const utcDayOf = (ms: number) => iso(ms).slice(0, 10);
/** Meta's webhook times are whole seconds: `…:05Z` rather than `…:05.000Z`. */
const isoOfMetaTime = (ms: number) => (ms % 1000 === 0 ? iso(ms).replace('.000Z', 'Z') : iso(ms));

/**
 * A claim (or a settlement without a send): the contract, the claim token and attempt, the times
 * the first claim set (kept by `if_not_exists`), and for a real claim one more API call.
 */
export function claimUpdate(request: ClaimRequest, stored: StoredContract, expiresAt: number): UpdateBuilder {
  const { job, token, now, createdAt, validUntil, state, reason, deferral } = request;
  const update = new UpdateBuilder()
    .set('state', state)
    .set('claimToken', token)
    .set('attempt', job.attempt ?? 1)
    .set('phoneNumberId', job.phoneNumberId)
    .set('createdAt', iso(createdAt), 'if_not_exists(createdAt, :createdAt)')
    .set('validUntil', iso(validUntil), 'if_not_exists(validUntil, :validUntil)')
    .set('retries', 0, 'if_not_exists(retries, :retries)')
    .set('expiresAt', expiresAt, 'if_not_exists(expiresAt, :expiresAt)')
    .remove('nextDispatchId', 'dueAt', UNKNOWN_INDEX.day, UNKNOWN_INDEX.since);
  for (const [attribute, value] of Object.entries(stored)) update.set(attribute, value);
  if (state === JOB_STATES.sending)
    update
      .set('claimedAt', iso(now))
      .set('apiCalls', 1, 'if_not_exists(apiCalls, :zero) + :apiCalls')
      .value(':zero', 0)
      // The state the job leaves (the item as it was, as every operand of an update): its gauge while sending.
      .set('claimedFrom', NOT_CLAIMED_BEFORE, 'if_not_exists(#state, :claimedFrom)');
  else update.set('apiCalls', 0, 'if_not_exists(apiCalls, :apiCalls)').set('lastErrorReason', reason ?? state);
  if (deferral) update.set('nextDispatchId', deferral.nextDispatchId).set('dueAt', iso(deferral.dueAt));
  if (state === JOB_STATES.deferred) increment(update, 'deferredBeforeSending');
  return update;
}

/** One more of an event the job item tallies (`JOB_TALLIES`): the stream's images show it as a growth of one. */
function increment(update: UpdateBuilder, tally: JobTally): UpdateBuilder {
  return update.set(tally, 1, `if_not_exists(${tally}, :zero) + :${tally}`).value(':zero', 0);
}

/** The item after a successful claim, from its old image and what the claim wrote: no read needed. */
/** `old` is the item's image before the claim (none for a first claim). */
export function claimedRecord(request: ClaimRequest, stored: StoredContract, old: JobRecord | undefined, expiresAt: number): JobRecord {
  const { job, token, createdAt, validUntil, state } = request;
  return {
    ...(old ?? ({} as JobRecord)),
    ...stored,
    jobKey: jobKeyOf(job.campaignId, job.recipient),
    state,
    claimToken: token,
    attempt: job.attempt ?? 1,
    campaignId: job.campaignId,
    recipient: job.recipient,
    phoneNumberId: job.phoneNumberId,
    createdAt: old?.createdAt ?? iso(createdAt),
    validUntil: old?.validUntil ?? iso(validUntil),
    retries: old?.retries ?? 0,
    apiCalls: (old?.apiCalls ?? 0) + (state === JOB_STATES.sending ? 1 : 0),
    ...(state === JOB_STATES.sending ? { claimedFrom: old?.state ?? NOT_CLAIMED_BEFORE } : {}),
    expiresAt: old?.expiresAt ?? expiresAt,
  };
}

/** The SET/REMOVE parts that record a send-plan decision. */
export function decisionUpdate(decision: Decision, now: number, nextDispatchId: string | undefined): UpdateBuilder {
  const update = new UpdateBuilder().set('state', decision.state);
  if (decision.state === JOB_STATES.unknown) update.set(UNKNOWN_INDEX.day, utcDayOf(now)).set(UNKNOWN_INDEX.since, iso(now));
  else update.remove(UNKNOWN_INDEX.day, UNKNOWN_INDEX.since);
  switch (decision.state) {
    case JOB_STATES.accepted:
      return update
        .set('wamid', decision.wamid)
        .set('messageStatus', decision.messageStatus)
        .set('acceptedAt', iso(now))
        .remove('lastErrorCode', 'lastErrorReason', 'nextDispatchId', 'dueAt');
    case JOB_STATES.retryWait:
    case JOB_STATES.deferred:
      if (!nextDispatchId) throw new Error('a waiting job needs the id of the message that will dispatch it');
      update
        .set('nextDispatchId', nextDispatchId)
        .set('dueAt', iso(decision.dueAt))
        .set('attempt', decision.attempt)
        .set('retries', decision.retries)
        .set('lastErrorReason', decision.reason);
      break;
    default:
      update.set('lastErrorReason', decision.reason).remove('nextDispatchId', 'dueAt');
  }
  // A decision without a code clears the last one: a job failed for another reason must not show (and be counted with) an older code.
  if ('errorCode' in decision && decision.errorCode !== undefined) update.set('lastErrorCode', decision.errorCode);
  else update.remove('lastErrorCode');
  if ('dueAt' in decision) {
    // A held job made no call (its claim counted one) and spent no retry.
    if (decision.held) update.set('apiCalls', 1, 'apiCalls - :apiCalls');
    else increment(update, 'retriesScheduled');
  }
  if (isPerUserLimitHit(decision)) increment(update, 'perUserLimitHits');
  return update;
}

/** A progress status: the new state and Meta's times, each set once. */
export function progressUpdate(change: ProgressChange): UpdateBuilder {
  const update = new UpdateBuilder().set('state', change.state);
  if (change.sentAt !== undefined) update.set('sentAt', isoOfMetaTime(change.sentAt), 'if_not_exists(sentAt, :sentAt)');
  if (change.deliveredAt !== undefined) {
    update
      .set('deliveredAt', isoOfMetaTime(change.deliveredAt), 'if_not_exists(deliveredAt, :deliveredAt)')
      .remove('nextDispatchId', 'dueAt');
  }
  if (change.readAt !== undefined) update.set('readAt', isoOfMetaTime(change.readAt), 'if_not_exists(readAt, :readAt)');
  // A job that reached the user has no error: an earlier `failed` (multi-device users) or a
  // pending retry's code would read as if this one had failed.
  if (change.state === JOB_STATES.delivered || change.state === JOB_STATES.read) update.remove('lastErrorCode', 'lastErrorReason');
  if (change.route) update.set('route', change.route);
  return update;
}

/** The sweep's verdict on a job Meta never reported delivered by its deadline. */
export function droppedUpdate(): UpdateBuilder {
  return new UpdateBuilder()
    .set('state', JOB_STATES.dropped)
    .set('lastErrorReason', 'no delivered or read status by the validity deadline');
}

/** An `unknown` job that a status showed Meta accepted: `accepted` with that wamid, and how it was found. */
export function adoptionUpdate({ wamid, by, now }: WamidAdoption): UpdateBuilder {
  return new UpdateBuilder()
    .set('state', JOB_STATES.accepted)
    .set('wamid', wamid)
    .set('acceptedAt', iso(now))
    .set('reconciledBy', by)
    .remove('lastErrorCode', 'lastErrorReason', UNKNOWN_INDEX.day, UNKNOWN_INDEX.since);
}

/**
 * An `unknown` job put back on the send queue: waiting for its new dispatch id, marked as re-sent.
 * It stays in the index of unknown jobs until its claim, so a lost re-send message is enqueued again.
 */
export function resendUpdate({ nextDispatchId, now }: ResendRequest): UpdateBuilder {
  return new UpdateBuilder()
    .set('state', JOB_STATES.retryWait)
    .set('nextDispatchId', nextDispatchId)
    .set('dueAt', iso(now))
    .set('resentAt', iso(now))
    .set('lastErrorReason', 'outcome unknown and no status within the window: re-sent once');
}
