import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { ClaimRequest, JobRecord, JobStore } from '../adapters/job-store.ts';
import type { JobQueues } from '../adapters/job-queues.ts';
import type { MmApiClient } from '../adapters/mm-api-client.ts';
import type { UserRecord, UserStore } from '../adapters/user-store.ts';
import type { SendConfig } from '../config.ts';
import { JOB_STATES, WAITING_STATES } from '../domain/job-state.ts';
import { type Decision, dispatchRoute, planAfterSend, validityDeadline } from '../domain/send-plan.ts';
import { type JobValidation, type ValidJob } from '../domain/validate-job.ts';
import { marketingMessageBody } from '../meta/marketing-message.ts';
import { jobRef } from '../observability.ts';
import type { BatchTally } from './batch-tally.ts';
import { dispatchBody } from './dispatch-body.ts';
import { recordUserEffects } from './user-effects.ts';

/** Everything the send path needs, injected so tests run the same code against the local stack. */
export interface SendDeps {
  config: SendConfig;
  jobs: JobStore;
  users: UserStore;
  queues: JobQueues;
  mmApi: MmApiClient;
  logger: Logger;
  now: () => number;
  random: () => number;
  newId: () => string;
}

/** What the batch looked up before sending: each record's validation and the recipients' user records. */
export interface BatchContext {
  validation: JobValidation;
  user: UserRecord | undefined;
}

/**
 * Sends one queue message's job at most once. Returns normally when the message is done with
 * (sent, recorded, re-dispatched, dead-lettered or a duplicate); throws to hand it back to SQS.
 */
export async function sendRecord(record: SQSRecord, { validation, user }: BatchContext, deps: SendDeps, tally: BatchTally): Promise<void> {
  const { config, logger } = deps;
  if (!validation.ok) {
    const { rejection } = validation;
    await deps.queues.deadLetter(record.body, { rejection, sourceMessageId: record.messageId, rejectedAt: deps.now() });
    logger.warn('job rejected', { messageId: record.messageId, campaignId: rejection.campaignId, reason: rejection.reason, detail: rejection.detail });
    tally.count(rejection.campaignId, 'rejected');
    return;
  }
  const job = validation.job;
  const now = deps.now();
  const createdAt = job.createdAt ? Date.parse(job.createdAt) : Number(record.attributes.SentTimestamp);
  const validUntil = validityDeadline(createdAt, job.validitySeconds ?? config.defaultValiditySeconds);
  // The identity of this message: a re-dispatch carries the id the job record expects; a
  // producer's message is known by its SQS id (a producer duplicate has another one).
  const token = job.dispatchId ?? `sqs:${record.messageId}`;
  const base = { job, token, now, createdAt, validUntil };
  const ref = jobRef(job.campaignId, job.recipient);
  const notBefore = job.notBefore ? Date.parse(job.notBefore) : undefined;

  if (notBefore !== undefined && notBefore > now && notBefore < validUntil) {
    await deps.queues.dispatch(record.body, dispatchRoute(notBefore, now), 'notBefore');
    return;
  }
  if (now >= validUntil || (notBefore !== undefined && notBefore >= validUntil)) {
    await settleWithoutSending({ ...base, state: JOB_STATES.expired, reason: 'validity ended before sending' }, deps, tally, ref);
    return;
  }
  if (user?.optedOut) {
    await settleWithoutSending({ ...base, state: JOB_STATES.suppressed, reason: `recipient opted out (${user.optOutSource ?? 'unknown source'})` }, deps, tally, ref);
    return;
  }
  const limitClearsAt = user?.lastLimitHitAt ? Date.parse(user.lastLimitHitAt) + config.retryPolicy.perUserLimitDelaySeconds * 1000 : 0;
  if (limitClearsAt > now) {
    // Meta: sending sooner than 24 h after a 131049 earns more of them and can block the user.
    if (limitClearsAt >= validUntil) {
      await settleWithoutSending({ ...base, state: JOB_STATES.expired, reason: 'recent 131049; validity ends before the limit clears' }, deps, tally, ref);
      return;
    }
    const deferral = { dueAt: limitClearsAt, nextDispatchId: deps.newId() };
    const claimed = await settleWithoutSending({ ...base, state: JOB_STATES.deferred, reason: 'recent 131049 for this recipient', deferral }, deps, tally, ref);
    if (claimed) await deps.queues.dispatch(dispatchBody(job, job.attempt ?? 1, deferral.nextDispatchId, new Date(createdAt).toISOString()), dispatchRoute(deferral.dueAt, now), 'recent 131049');
    return;
  }

  const claim = await deps.jobs.claim({ ...base, state: JOB_STATES.sending });
  if (!claim.claimed) return settleConflict(claim.existing, job, token, deps, tally);
  const jobRecord = claim.record;
  if (claim.previousState) tally.transition(job.campaignId, { state: claim.previousState }, { state: JOB_STATES.sending });

  const outcome = await deps.mmApi.sendMarketingMessage(job.phoneNumberId, marketingMessageBody(job, config.message));
  tally.metric('MetaApiCalls');
  const decision = planAfterSend(
    outcome,
    { attempt: jobRecord.attempt, retries: jobRecord.retries, validUntil: Date.parse(jobRecord.validUntil) },
    deps.now(),
    config.retryPolicy,
    deps.random,
  );
  if (outcome.kind === 'meta_error') {
    logger.warn('Meta rejected the send', { job: ref, code: outcome.code, details: outcome.details, fbtraceId: outcome.fbtraceId, next: decision.state });
  }
  await applyDecision(job, jobRecord, token, decision, deps, tally, ref);
}

/** Records a job that is settled (or postponed) without an API call; false for a duplicate. */
async function settleWithoutSending(request: ClaimRequest, deps: SendDeps, tally: BatchTally, ref: string): Promise<boolean> {
  const result = await deps.jobs.claim(request);
  if (!result.claimed) {
    await settleConflict(result.existing, request.job, request.token, deps, tally);
    return false;
  }
  deps.logger.info('job settled without sending', { job: ref, state: request.state, reason: request.reason });
  tally.transition(request.job.campaignId, result.previousState ? { state: result.previousState } : undefined, { state: request.state });
  if (request.state === JOB_STATES.deferred) tally.count(request.job.campaignId, 'deferredBeforeSending');
  return true;
}

async function applyDecision(job: ValidJob, jobRecord: JobRecord, token: string, decision: Decision, deps: SendDeps, tally: BatchTally, ref: string): Promise<void> {
  const isWait = decision.state === JOB_STATES.retryWait || decision.state === JOB_STATES.deferred;
  const nextDispatchId = isWait ? deps.newId() : undefined;
  const recorded = await deps.jobs.recordDecision(jobRecord.jobKey, token, decision, deps.now(), nextDispatchId, jobRecord.validUntil);
  if (!recorded) {
    // Another worker settled this claim (it judged ours dead). Its decision stands.
    deps.logger.error('lost the claim while sending; the other worker decides', { job: ref, decision: decision.state });
    tally.metric('ClaimsLost');
    return;
  }
  await recordUserEffects(decision, job.recipient, deps.now(), deps.now(), deps.users);
  if ('dueAt' in decision && nextDispatchId) {
    await deps.queues.dispatch(dispatchBody(job, decision.attempt, nextDispatchId, jobRecord.createdAt), dispatchRoute(decision.dueAt, deps.now()), decision.reason);
  }
  countDecision(job.campaignId, jobRecord, decision, tally);
  if (decision.state === JOB_STATES.unknown) {
    deps.logger.error('send outcome unknown; the job will not be re-sent automatically', { job: ref, reason: decision.reason });
  }
}

/**
 * The claim was refused: the job item exists and this message may not send it. Either this
 * very message was handled before and its worker stopped half-way, or it is a duplicate.
 */
async function settleConflict(existing: JobRecord, job: ValidJob, token: string, deps: SendDeps, tally: BatchTally): Promise<void> {
  const ref = jobRef(job.campaignId, job.recipient);
  if (existing.claimToken !== token) {
    deps.logger.info('duplicate delivery ignored', { job: ref, state: existing.state });
    tally.metric('DuplicateDeliveries');
    return;
  }
  if (existing.state === JOB_STATES.sending) {
    // This message claimed the job, then its worker died before recording an answer. The
    // request may have reached Meta, and Meta's send is not idempotent: never send it again.
    const marked = await deps.jobs.markUnknown(existing.jobKey, token, deps.now(), 'worker stopped during the send');
    if (marked) {
      deps.logger.error('send interrupted; outcome unknown, not re-sent', { job: ref });
      tally.transition(job.campaignId, undefined, { state: JOB_STATES.unknown });
    }
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

function countDecision(campaignId: string, before: JobRecord, decision: Decision, tally: BatchTally): void {
  const errorCode = 'errorCode' in decision ? decision.errorCode : undefined;
  tally.transition(campaignId, undefined, errorCode === undefined ? { state: decision.state } : { state: decision.state, errorCode });
  switch (decision.state) {
    case JOB_STATES.accepted:
      tally.metric('JobsAccepted');
      if (!before.firstAcceptedAt) tally.count(campaignId, 'uniqueAccepted', 'UniqueAccepted');
      if (before.attempt > 1 || before.retries > 0) tally.count(campaignId, 'acceptedOnRetry');
      return;
    case JOB_STATES.retryWait:
      tally.count(campaignId, 'retriesScheduled', decision.errorKind === 'throttled' ? 'Throttled' : 'RetriesScheduled');
      return;
    case JOB_STATES.deferred:
      tally.count(campaignId, 'retriesScheduled', 'Deferred');
      if (decision.errorKind === 'per_user_limit') tally.count(campaignId, 'perUserLimitHits', 'PerUserLimitHits');
      return;
    default:
      tally.metric(`Jobs${decision.state === JOB_STATES.limitExhausted ? 'LimitExhausted' : decision.state[0]!.toUpperCase() + decision.state.slice(1)}`);
  }
}
