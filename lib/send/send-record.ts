import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { ClaimRequest, JobRecord, JobStore } from '../adapters/job-store.ts';
import type { JobQueues } from '../adapters/job-queues.ts';
import type { MmApiClient } from '../adapters/mm-api-client.ts';
import type { SendConfig } from '../config.ts';
import { JOB_STATES, WAITING_STATES } from '../domain/job-state.ts';
import { type Decision, type WaitDecision, dispatchRoute, planAfterSend, validityDeadline } from '../domain/send-plan.ts';
import { contractOf, type ValidJob, validateJobBody } from '../domain/validate-job.ts';
import { marketingMessageBody } from '../meta/marketing-message.ts';
import { jobRef } from '../observability.ts';
import type { BatchTally } from './batch-tally.ts';

/** Everything the send path needs, injected so tests run the same code against the local stack. */
export interface SendDeps {
  config: SendConfig;
  jobs: JobStore;
  queues: JobQueues;
  mmApi: MmApiClient;
  logger: Logger;
  now: () => number;
  random: () => number;
  newId: () => string;
}

/**
 * Sends one queue message's job at most once. Returns normally when the message is done with
 * (sent, recorded, re-dispatched, dead-lettered or a duplicate); throws to hand it back to SQS.
 */
export async function sendRecord(record: SQSRecord, deps: SendDeps, tally: BatchTally): Promise<void> {
  const { config, logger } = deps;
  const validation = validateJobBody(record.body, config.recipientPolicy);
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
  const base: Omit<ClaimRequest, 'state'> = { job, token, now, createdAt, validUntil };
  const ref = jobRef(job.campaignId, job.recipient);

  if (job.notBefore && Date.parse(job.notBefore) > now && Date.parse(job.notBefore) < validUntil) {
    await deps.queues.dispatch(record.body, dispatchRoute(Date.parse(job.notBefore), now), 'notBefore');
    return;
  }
  if (now >= validUntil || (job.notBefore && Date.parse(job.notBefore) >= validUntil)) {
    const result = await deps.jobs.claim({ ...base, state: JOB_STATES.expired, reason: 'validity ended before sending' });
    if (result.claimed) {
      logger.info('job expired before sending', { job: ref, validUntil: new Date(validUntil).toISOString() });
      tally.count(job.campaignId, 'expired');
      return;
    }
    return settleConflict(result.existing, job, token, deps, tally);
  }

  const claim = await deps.jobs.claim({ ...base, state: JOB_STATES.sending });
  if (!claim.claimed) return settleConflict(claim.existing, job, token, deps, tally);

  const jobRecord = claim.record;
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
  await applyDecision(job, token, decision, deps, tally, ref, jobRecord.attempt);
}

async function applyDecision(job: ValidJob, token: string, decision: Decision, deps: SendDeps, tally: BatchTally, ref: string, attempt: number): Promise<void> {
  const jobKey = `${job.campaignId}#${job.recipient}`;
  const isWait = decision.state === JOB_STATES.retryWait || decision.state === JOB_STATES.deferred;
  const nextDispatchId = isWait ? deps.newId() : undefined;
  const recorded = await deps.jobs.recordDecision(jobKey, token, decision, deps.now(), nextDispatchId);
  if (!recorded) {
    // Another worker settled this claim (it judged ours dead). Its decision stands.
    deps.logger.error('lost the claim while sending; the other worker decides', { job: ref, decision: decision.state });
    tally.metric('ClaimsLost');
    return;
  }
  if (isWait && nextDispatchId) {
    await redispatch(job, decision as WaitDecision, nextDispatchId, deps);
  }
  countDecision(job.campaignId, decision, attempt, tally);
  if (decision.state === JOB_STATES.unknown) {
    deps.logger.error('send outcome unknown; the job will not be re-sent automatically', { job: ref, reason: decision.reason });
  }
}

/** The message body that carries a job to its next attempt: same job, new dispatch id. */
function redispatchBody(job: ValidJob, attempt: number, dispatchId: string, createdAt: string): string {
  return JSON.stringify({ ...contractOf(job), createdAt, attempt, dispatchId });
}

async function redispatch(job: ValidJob, decision: { dueAt: number; attempt: number; reason: string }, dispatchId: string, deps: SendDeps, createdAt?: string): Promise<void> {
  const body = redispatchBody(job, decision.attempt, dispatchId, createdAt ?? job.createdAt ?? new Date(deps.now()).toISOString());
  await deps.queues.dispatch(body, dispatchRoute(decision.dueAt, deps.now()), decision.reason);
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
      tally.count(job.campaignId, 'unknown');
    }
    return;
  }
  if (WAITING_STATES.includes(existing.state) && existing.nextDispatchId && existing.dueAt) {
    // The wait was recorded but the worker may have died before enqueueing its message.
    // Enqueue it again: the claim lets only one copy through.
    await redispatch(job, { dueAt: Date.parse(existing.dueAt), attempt: existing.attempt, reason: 'recovered re-dispatch' }, existing.nextDispatchId, deps, existing.createdAt);
    return;
  }
  tally.metric('DuplicateDeliveries');
}

function countDecision(campaignId: string, decision: Decision, attempt: number, tally: BatchTally): void {
  switch (decision.state) {
    case JOB_STATES.accepted:
      tally.count(campaignId, attempt > 1 ? 'acceptedOnRetry' : 'accepted');
      return;
    case JOB_STATES.retryWait:
      tally.count(campaignId, 'retriesScheduled', decision.errorKind === 'throttled' ? 'Throttled' : 'RetriesScheduled');
      return;
    case JOB_STATES.deferred:
      tally.count(campaignId, decision.errorKind === 'per_user_limit' ? 'perUserLimitHits' : 'retriesScheduled', decision.errorKind === 'per_user_limit' ? 'PerUserLimitHits' : 'Deferred');
      return;
    case JOB_STATES.failed:
      tally.count(campaignId, 'failed');
      return;
    case JOB_STATES.expired:
      tally.count(campaignId, 'expired');
      return;
    case JOB_STATES.unknown:
      tally.count(campaignId, 'unknown');
      return;
    case JOB_STATES.suppressed:
      tally.count(campaignId, 'suppressed');
      return;
    case JOB_STATES.limitExhausted:
      tally.count(campaignId, 'limitExhausted');
      return;
  }
}
