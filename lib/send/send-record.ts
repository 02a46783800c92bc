import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { Controls, ControlStore, Scope } from '../adapters/control-store.ts';
import { type ClaimRequest, jobKeyOf, type JobStore } from '../adapters/job-store.ts';
import { type JobQueues, TooLargeToDeadLetter } from '../adapters/job-queues.ts';
import type { MmApiClient } from '../adapters/mm-api-client.ts';
import type { UserRecord, UserStore } from '../adapters/user-store.ts';
import type { SendConfig } from '../config.ts';
import { type Gate, gateFor } from '../domain/breaker.ts';
import { JOB_STATES } from '../domain/job-state.ts';
import { LATE_TOLERANCE_MS, paceFactor } from '../domain/pacing.ts';
import { classifyMetaError } from '../domain/meta-errors.ts';
import { dispatchRoute, planAfterSend, planHold, validityDeadline } from '../domain/send-plan.ts';
import type { JobValidation, ValidJob } from '../domain/validate-job.ts';
import { marketingMessageBody } from '../meta/marketing-message.ts';
import { jobRef } from '../observability.ts';
import type { BatchTally } from './batch-tally.ts';
import { dispatchBody } from './dispatch-body.ts';
import { hold, reactToOutcome } from './fleet-controls.ts';
import { applyDecision, settleConflict, settleWithoutSending } from './settle-job.ts';
import type { SlotDispenser } from './slot-dispenser.ts';

/** Everything the send path needs, injected so tests run the same code against the local stack. */
export interface SendDeps {
  config: SendConfig;
  jobs: JobStore;
  users: UserStore;
  controls: ControlStore;
  queues: JobQueues;
  mmApi: MmApiClient;
  logger: Logger;
  now: () => number;
  random: () => number;
  newId: () => string;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** What one invocation shares between its records. */
export interface BatchContext {
  validations: ReadonlyMap<string, JobValidation>;
  users: ReadonlyMap<string, UserRecord>;
  /** The breakers and campaign states as last read: at the batch's start, then by `refreshControls`. */
  controls: Controls;
  /** Re-reads `controls` if they are older than a second (one read in flight at a time). */
  refreshControls: () => Promise<void>;
  /** Breakers this invocation opened: the rest of the batch holds at once. */
  openedHere: Set<string>;
  /** 130429 answered this invocation: it reacts once per number (the fleet at most once a second). */
  slowedHere: Set<string>;
  slots: SlotDispenser;
  /** Latest time a send may start and still finish before the function's deadline. */
  latestStart: () => number;
  signal: AbortSignal | undefined;
  /** Records that go to the same recipient as an earlier one in this batch (other campaigns): spaced by 6 s. */
  pairSpacing: ReadonlyMap<string, number>;
}

/** When the job was created and its validity deadline: a body without `createdAt` counts from its enqueue time. */
export function jobTimes(job: ValidJob, record: SQSRecord, defaultValiditySeconds: number): { createdAt: number; validUntil: number } {
  const createdAt = job.createdAt ? Date.parse(job.createdAt) : Number(record.attributes.SentTimestamp);
  return { createdAt, validUntil: validityDeadline(createdAt, job.validitySeconds ?? defaultValiditySeconds) };
}

/** The record was handed back before anything happened: no claim, no call. */
export class NotStarted extends Error {
  override name = 'NotStarted';
}

/**
 * Sends one queue message's job at most once. Returns normally when the message is done with
 * (sent, recorded, re-dispatched, held, dead-lettered or a duplicate); throws to hand it back to SQS.
 */
export async function sendRecord(record: SQSRecord, batch: BatchContext, deps: SendDeps, tally: BatchTally): Promise<void> {
  const { config } = deps;
  const validation = batch.validations.get(record.messageId)!;
  if (!validation.ok) {
    const { rejection } = validation;
    const details = { messageId: record.messageId, campaignId: rejection.campaignId, reason: rejection.reason, detail: rejection.detail };
    try {
      await deps.queues.deadLetter(record.body, { rejection, sourceMessageId: record.messageId, rejectedAt: deps.now() });
    } catch (error) {
      // Too large to copy with its reason: the original goes to the DLQ through the redrive
      // policy, intact; the reason is in this log line, under the same messageId.
      if (error instanceof TooLargeToDeadLetter) deps.logger.error('job rejected; too large to dead-letter with its reason', { ...details, error: error.message });
      throw error;
    }
    deps.logger.warn('job rejected', details);
    tally.count(rejection.campaignId, 'rejected');
    return;
  }
  const job = validation.job;
  const ref = jobRef(job.campaignId, job.recipient);
  const log = deps.logger.createChild({ persistentKeys: { campaignId: job.campaignId, job: ref } });
  const now = deps.now();
  const { createdAt, validUntil } = jobTimes(job, record, config.defaultValiditySeconds);
  // The identity of this message: a re-dispatch carries the id the job record expects; a
  // producer's message is known by its SQS id (a producer duplicate has another one).
  const token = job.dispatchId ?? `sqs:${record.messageId}`;
  const base = { job, token, now, createdAt, validUntil };
  const notBefore = job.notBefore ? Date.parse(job.notBefore) : undefined;
  const settle = (request: ClaimRequest) => settleWithoutSending(request, deps, tally, log);

  // A message seen before may hold this job's claim (its worker died, or a write failed):
  // settle that first, before any path below puts its body back on a queue under a new id.
  if (Number(record.attributes.ApproximateReceiveCount) > 1) {
    const existing = await deps.jobs.get(jobKeyOf(job.campaignId, job.recipient));
    if (existing?.claimToken === token) return settleConflict(existing, job, token, deps, tally, log);
  }

  if (notBefore !== undefined && notBefore > now && notBefore < validUntil) {
    await deps.queues.dispatch(record.body, dispatchRoute(notBefore, now), 'notBefore');
    return;
  }
  if (now >= validUntil || (notBefore !== undefined && notBefore >= validUntil)) {
    await settle({ ...base, state: JOB_STATES.expired, reason: 'validity ended before sending' });
    return;
  }
  const user = batch.users.get(job.recipient);
  if (user?.optedOut) {
    await settle({ ...base, state: JOB_STATES.suppressed, reason: `recipient opted out (${user.optOutSource ?? 'unknown source'})` });
    return;
  }
  const limitClearsAt = user?.lastLimitHitAt ? Date.parse(user.lastLimitHitAt) + config.retryPolicy.perUserLimitDelaySeconds * 1000 : 0;
  if (limitClearsAt > now) {
    // Meta: sending sooner than 24 h after a 131049 earns more of them and can block the user.
    if (limitClearsAt >= validUntil) {
      await settle({ ...base, state: JOB_STATES.expired, reason: 'recent 131049; validity ends before the limit clears' });
      return;
    }
    const deferral = { dueAt: limitClearsAt, nextDispatchId: deps.newId() };
    if (await settle({ ...base, state: JOB_STATES.deferred, reason: 'recent 131049 for this recipient', deferral })) {
      await deps.queues.dispatch(dispatchBody(job, job.attempt ?? 1, deferral.nextDispatchId, new Date(createdAt).toISOString()), dispatchRoute(deferral.dueAt, now), 'recent 131049');
    }
    return;
  }

  // Breakers: a stopped phone number or a paused campaign keeps its jobs on the queue.
  const holdMs = config.retryPolicy.holdSeconds * 1000;
  const gate = gateNow(job, batch, now, holdMs);
  const keepBack = async (kept: Exclude<Gate, { action: 'send' }>, at: number): Promise<void> => {
    if (kept.action === 'cancel') {
      await settle({ ...base, now: at, state: JOB_STATES.cancelled, reason: kept.reason });
      return;
    }
    const { until, reason } = holdingOf(kept, at);
    await hold(record, until, reason, deps, tally, job.campaignId);
  };
  if (gate.action === 'cancel') return keepBack(gate, now);
  let probe: Scope | undefined;
  if (gate.action === 'probe') {
    const scope: Scope = gate.scope === 'phone' ? { kind: 'phone', id: job.phoneNumberId } : { kind: 'campaign', id: job.campaignId };
    const control = scope.kind === 'phone' ? batch.controls.phones.get(scope.id) : batch.controls.campaigns.get(scope.id);
    if (await deps.controls.takeProbe(scope, now, control?.probeIntervalSeconds)) probe = scope;
  }
  if (gate.action === 'hold' || (gate.action === 'probe' && !probe)) return keepBack(gate, now);

  const spacing = batch.pairSpacing.get(record.messageId);
  if (spacing) {
    await deps.queues.dispatch(record.body, { queue: 'send', delaySeconds: spacing }, 'pair rate: same recipient in this batch');
    tally.metric('PairSpacingDelays');
    return;
  }

  // Pace: a slot the whole fleet agrees on, early enough to finish before the deadline.
  if (batch.signal?.aborted || deps.now() >= batch.latestStart()) throw new NotStarted('function deadline near: send not started');
  const phone = batch.controls.phones.get(job.phoneNumberId);
  const factor = paceFactor(phone, deps.now());
  const startAt = await batch.slots.acquire(job.phoneNumberId, batch.latestStart(), factor);
  if (startAt === undefined) {
    await deps.queues.dispatch(record.body, { queue: 'send', delaySeconds: 1 }, 'no send slot free in time');
    tally.metric('PacingDeferrals');
    return;
  }
  if (batch.signal?.aborted) throw new NotStarted('function deadline near: send not started');
  if (!probe) {
    // The job may have waited seconds for its time: a number stopped or a campaign paused
    // meanwhile (by any invocation) keeps it, unclaimed.
    await batch.refreshControls();
    const late = gateNow(job, batch, deps.now(), holdMs);
    if (late.action !== 'send') return keepBack(late, deps.now());
  }

  // Claim before waiting for the slot (it is handed out CLAIM_LEAD_MS early), so the request
  // leaves on time: a claim's variable latency after the wait would bunch sends and break the pace.
  const claim = await deps.jobs.claim({ ...base, now: deps.now(), state: JOB_STATES.sending });
  if (!claim.claimed) return settleConflict(claim.existing, job, token, deps, tally, log);
  const jobRecord = claim.record;
  if (claim.previousState) tally.transition(job.campaignId, { state: claim.previousState }, { state: JOB_STATES.sending });
  const progress = { attempt: jobRecord.attempt, retries: jobRecord.retries, validUntil: Date.parse(jobRecord.validUntil) };
  await waitForSendTime(startAt, job.phoneNumberId, factor, batch, deps, tally);
  const stopped = probe ? undefined : gateNow(job, batch, deps.now(), holdMs);
  if (stopped && stopped.action !== 'send') {
    // A breaker opened during the last second's wait (this batch's answers, or the last re-read):
    // the claim is released as a wait that spends no retry, and the job comes back after it.
    const { until, reason } = holdingOf(stopped, deps.now());
    tally.metric('ClaimedJobsHeld');
    return applyDecision(job, jobRecord, token, planHold(progress, deps.now(), Math.min(until, deps.now() + holdMs), `held before sending: ${reason}`), deps, tally, log);
  }

  const outcome = await deps.mmApi.sendMarketingMessage(job.phoneNumberId, marketingMessageBody(job, config.message));
  tally.metric('MetaApiCalls');
  const decision = planAfterSend(outcome, progress, deps.now(), config.retryPolicy, deps.random);
  if (outcome.kind === 'meta_error') {
    log.warn('Meta rejected the send', { code: outcome.code, details: outcome.details, fbtraceId: outcome.fbtraceId, next: decision.state });
    tally.metric(`MetaErrors_${classifyMetaError(outcome.code).kind}`);
  }
  await reactToOutcome(job, outcome, probe, batch, deps, tally, log);
  await applyDecision(job, jobRecord, token, decision, deps, tally, log);
}

/** The breakers' say on this job now: this batch's own openings first, then the controls as last read. */
function gateNow(job: ValidJob, batch: BatchContext, now: number, holdMs: number): Gate {
  if (batch.openedHere.has(`phone#${job.phoneNumberId}`) || batch.openedHere.has(`campaign#${job.campaignId}`)) {
    return { action: 'hold', until: now + 60_000, reason: 'breaker opened in this batch' };
  }
  return gateFor(batch.controls.phones.get(job.phoneNumberId), batch.controls.campaigns.get(job.campaignId), now, holdMs);
}

/** Until when, and why, a gate other than `send` keeps a job; a probe due elsewhere is looked at again in a minute. */
function holdingOf(gate: Exclude<Gate, { action: 'send' }>, now: number): { until: number; reason: string } {
  if (gate.action === 'hold') return { until: gate.until, reason: gate.reason };
  return { until: now + 60_000, reason: gate.action === 'probe' ? 'another sender is probing' : gate.reason };
}

/** A claimed job whose send time keeps slipping by (a stalled event loop) is sent late after this many new times. */
const MAX_MISSED_SEND_TIMES = 3;

/**
 * Sleeps until the send time. A send that wakes up too late takes a new time instead of
 * leaving late: late sends bunch with the next ones and Meta answers 130429. The job is
 * already claimed, so when no new time is free before the deadline it is sent late rather
 * than left `sending`.
 */
async function waitForSendTime(startAt: number, phoneNumberId: string, factor: number, batch: BatchContext, deps: SendDeps, tally: BatchTally): Promise<void> {
  let at = startAt;
  for (let missed = 0; ; missed++) {
    if (at > deps.now()) await deps.sleep(at - deps.now());
    if (deps.now() - at <= LATE_TOLERANCE_MS || missed >= MAX_MISSED_SEND_TIMES) return;
    tally.metric('SendTimesMissed');
    const next = await batch.slots.acquire(phoneNumberId, batch.latestStart(), factor);
    if (next === undefined) return;
    at = next;
  }
}
