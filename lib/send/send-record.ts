import type { SQSRecord } from 'aws-lambda';
import { type BeforeSendStep, holdingOf, planBeforeSend, type RecipientFacts } from '../domain/before-send.ts';
import { type Gate, gateFor } from '../domain/breaker.ts';
import { JOB_STATES } from '../domain/job-state.ts';
import { marketingMessageBody } from '../domain/marketing-message.ts';
import { classifyMetaError } from '../domain/meta-errors.ts';
import { optOutFor } from '../domain/opt-out.ts';
import { LATE_TOLERANCE_MS, paceFactor } from '../domain/pacing.ts';
import { type Decision, dispatchRoute, type JobProgress, planAfterSend, planHold, type SendOutcome } from '../domain/send-plan.ts';
import { type Rejection, rejectionOf } from '../domain/validate-job.ts';
import { NotStarted, TooLargeToDeadLetter, UnstorableJob } from '../errors.ts';
import type { BatchTally } from '../jobs/batch-tally.ts';
import { dispatchBody } from '../jobs/dispatch-body.ts';
import { type JobRecord, jobKeyOf } from '../jobs/job-record.ts';
import { jobRef } from '../observability.ts';
import type { Scope } from '../ports/control-store.ts';
import type { UserRecord } from '../ports/user-store.ts';
import type { BatchContext, PreparedRecord, SendDeps, SendingRecord } from './context.ts';
import { hold, reactToOutcome } from './fleet-controls.ts';
import { applyDecision, settleConflict, settleWithoutSending } from './settle-job.ts';

/**
 * Sends one queue message's job at most once. Returns normally when the message is done with
 * (sent, recorded, re-dispatched, held, dead-lettered or a duplicate); throws to hand it back to SQS.
 */
export async function sendRecord(record: SQSRecord, batch: BatchContext, deps: SendDeps, tally: BatchTally): Promise<void> {
  const prepared = batch.prepared.get(record.messageId)!;
  if (!prepared.ok) return rejectRecord(record, prepared.rejection, deps, tally);
  try {
    return await sendValidJob(record, batch, deps, tally);
  } catch (error) {
    // What the job itself holds was refused by a store (its claim, before any call): no redelivery can change that.
    if (!(error instanceof UnstorableJob)) throw error;
    return rejectRecord(record, rejectionOf('unstorable_job', error.message, prepared.job.campaignId), deps, tally);
  }
}

/** The rest of `sendRecord`, for a record whose job passed validation. */
async function sendValidJob(record: SQSRecord, batch: BatchContext, deps: SendDeps, tally: BatchTally): Promise<void> {
  const { job, account, createdAt, validUntil } = batch.prepared.get(record.messageId) as Extract<PreparedRecord, { ok: true }>;
  const log = deps.logger.createChild({ persistentKeys: { campaignId: job.campaignId, job: jobRef(job.campaignId, job.recipient) } });
  const sending: SendingRecord = {
    record,
    job,
    account,
    token: job.dispatchId ?? `sqs:${record.messageId}`,
    createdAt,
    validUntil,
    log,
    deps,
    batch,
    tally,
  };

  // A message seen before may hold this job's claim (its worker died, or a write failed):
  // settle that first, before any path below puts its body back on a queue under a new id.
  if (Number(record.attributes.ApproximateReceiveCount) > 1) {
    const existing = await deps.jobs.get(jobKeyOf(job.campaignId, job.recipient));
    if (existing?.claimToken === sending.token) return settleConflict(sending, existing);
  }
  const now = deps.now();
  const step = planBeforeSend({
    now,
    validUntil,
    ...(job.notBefore ? { notBefore: Date.parse(job.notBefore) } : {}),
    recipient: recipientFacts(batch.users.get(job.recipient), account),
    perUserLimitDelaySeconds: deps.config.retryPolicy.perUserLimitDelaySeconds,
    gate: gateNow(sending, now),
    ...(batch.pairSpacing.has(record.messageId) ? { pairSpacingSeconds: batch.pairSpacing.get(record.messageId)! } : {}),
  });
  if (step.action === 'send') return sendNow(sending, undefined);
  if (step.action === 'probe') {
    const scope: Scope = step.scope === 'phone' ? { kind: 'phone', id: job.phoneNumberId } : { kind: 'campaign', id: job.campaignId };
    const control = scope.kind === 'phone' ? batch.controls.phones.get(scope.id) : batch.controls.campaigns.get(scope.id);
    if (!(await deps.controls.takeProbe(scope, now, control?.probeIntervalSeconds)))
      return hold(sending, step.otherwise.until, step.otherwise.reason);
    // Meta's pair rate binds a probe too: it is spaced like any other send to the same recipient.
    const spacing = batch.pairSpacing.get(record.messageId);
    return spacing ? carryOut(sending, { action: 'space', delaySeconds: spacing }, now) : sendNow(sending, scope);
  }
  return carryOut(sending, step, now);
}

/** The recipient's limit hits, and the opt-out in force for the job's account (Meta keeps one per business). */
function recipientFacts(user: UserRecord | undefined, account: string): RecipientFacts {
  const optOut = optOutFor(user, account);
  return {
    ...(user?.lastLimitHitAt ? { lastLimitHitAt: user.lastLimitHitAt } : {}),
    ...(optOut ? { optedOut: true, optOutSource: optOut.source } : {}),
  };
}

/** A job that is not sent now: settled, deferred, held or spaced, as the checks before a send decided. */
async function carryOut(sending: SendingRecord, step: Exclude<BeforeSendStep, { action: 'send' | 'probe' }>, now: number): Promise<void> {
  const { record, job, deps, tally } = sending;
  switch (step.action) {
    case 'wait':
      return deps.queues.dispatch(record.body, dispatchRoute(step.dueAt, now), step.reason);
    case 'settle':
      await settleWithoutSending(sending, { now, state: step.state, reason: step.reason });
      return;
    case 'defer': {
      const deferral = { dueAt: step.dueAt, nextDispatchId: deps.newId() };
      if (await settleWithoutSending(sending, { now, state: JOB_STATES.deferred, reason: step.reason, deferral })) {
        const body = dispatchBody(job, job.attempt ?? 1, deferral.nextDispatchId, new Date(sending.createdAt).toISOString());
        await deps.queues.dispatch(body, dispatchRoute(deferral.dueAt, now), step.reason);
      }
      return;
    }
    case 'hold':
      return hold(sending, step.until, step.reason);
    case 'space':
      await deps.queues.dispatch(
        record.body,
        { queue: 'send', delaySeconds: step.delaySeconds },
        'pair rate: same recipient in this batch',
      );
      tally.metric('PairSpacingDelays');
  }
}

/** An invalid job: to the send DLQ with its reason, never retried. */
async function rejectRecord(record: SQSRecord, rejection: Rejection, deps: SendDeps, tally: BatchTally): Promise<void> {
  const details = { messageId: record.messageId, campaignId: rejection.campaignId, reason: rejection.reason, detail: rejection.detail };
  try {
    await deps.queues.deadLetter(record.body, { rejection, sourceMessageId: record.messageId, rejectedAt: deps.now() });
  } catch (error) {
    if (error instanceof TooLargeToDeadLetter)
      deps.logger.error('job rejected; too large to dead-letter with its reason', { ...details, error: error.message });
    throw error;
  }
  deps.logger.warn('job rejected', details);
  tally.count(rejection.campaignId, 'rejected');
}

/**
 * Takes a send time the whole fleet agrees on, claims the job, waits for the time and calls
 * Meta; a probe (`probe` set) skips the breaker re-checks, since it is sent to test the breaker.
 */
async function sendNow(sending: SendingRecord, probe: Scope | undefined): Promise<void> {
  const { job, deps } = sending;
  const factor = await takeSendTime(sending, probe);
  if (factor === undefined) return;
  // Claim before waiting for the slot (it is handed out CLAIM_LEAD_MS early), so the request
  // leaves on time: a claim's variable latency after the wait would bunch sends and break the pace.
  const { token, createdAt, validUntil } = sending;
  const claim = await deps.jobs.claim({ job, token, createdAt, validUntil, now: deps.now(), state: JOB_STATES.sending });
  if (!claim.claimed) return settleConflict(sending, claim.existing);
  const jobRecord = claim.record;
  const progress = progressOf(jobRecord);
  const onTime = await waitForSendTime(sending, factor);
  const stopped = probe ? undefined : gateNow(sending, deps.now());
  if (stopped && stopped.action !== 'send') {
    // A breaker opened during the last second's wait (this batch's answers, or the last re-read).
    const { until, reason } = holdingOf(stopped, deps.now());
    const holdUntil = Math.min(until, deps.now() + deps.config.retryPolicy.holdSeconds * 1000);
    return releaseClaim(sending, jobRecord, { until: holdUntil, reason: `held before sending: ${reason}`, metric: 'ClaimedJobsHeld' });
  }
  // No send time this invocation can keep: going now would crowd the number's second (130429).
  if (!onTime)
    return releaseClaim(sending, jobRecord, {
      until: deps.now() + PACING_RETRY_MS,
      reason: 'no send time free in time',
      metric: 'ClaimedJobsDeferred',
    });
  const outcome = await deps.mmApi.sendMarketingMessage(job.phoneNumberId, marketingMessageBody(job, deps.config.message, sending.token));
  const decision = planAfterSend(outcome, progress, { now: deps.now(), policy: deps.config.retryPolicy, random: deps.random });
  countOutcome(sending, outcome, decision);
  await reactToOutcome(sending, outcome, probe);
  await applyDecision(sending, jobRecord, decision);
}

/** What a claimed job's planning needs from its record. */
function progressOf(jobRecord: JobRecord): JobProgress {
  return { attempt: jobRecord.attempt, retries: jobRecord.retries, validUntil: Date.parse(jobRecord.validUntil) };
}

/**
 * Releases a claimed job unsent, as a hold that spends no retry and counts no call: it comes back
 * at `until`, or ends `expired` if its validity ends first.
 */
function releaseClaim(
  sending: SendingRecord,
  jobRecord: JobRecord,
  hold: { until: number; reason: string; metric: 'ClaimedJobsHeld' | 'ClaimedJobsDeferred' },
): Promise<void> {
  sending.tally.metric(hold.metric);
  return applyDecision(sending, jobRecord, planHold(progressOf(jobRecord), sending.deps.now(), hold.until, hold.reason));
}

/**
 * A send time is free for the job: the pace factor it was taken at; or undefined when the job
 * went back to the queue: no time free before the deadline, or a breaker that turned while it
 * waited. Throws `NotStarted` near the deadline.
 */
async function takeSendTime(sending: SendingRecord, probe: Scope | undefined): Promise<number | undefined> {
  const { job, deps, batch } = sending;
  if (batch.signal?.aborted || deps.now() >= batch.latestStart()) throw new NotStarted('function deadline near: send not started');
  const factor = paceFactor(batch.controls.phones.get(job.phoneNumberId), deps.now());
  if ((await batch.slots.acquire(job.phoneNumberId, batch.latestStart(), factor)) === undefined) {
    await deps.queues.dispatch(sending.record.body, { queue: 'send', delaySeconds: 1 }, 'no send slot free in time');
    sending.tally.metric('PacingDeferrals');
    return undefined;
  }
  if (batch.signal?.aborted) throw new NotStarted('function deadline near: send not started');
  if (!probe) {
    // The job may have waited seconds for its time: a number stopped or a campaign paused
    // meanwhile (by any invocation) keeps it, unclaimed.
    await batch.refreshControls();
    const late = gateNow(sending, deps.now());
    if (late.action !== 'send') {
      await keepBack(sending, late);
      return undefined;
    }
  }
  return factor;
}

/** The call's metrics, and Meta's refusal in the log with what follows from it. */
function countOutcome({ tally, log, job }: SendingRecord, outcome: SendOutcome, decision: Decision): void {
  tally.metric('MetaApiCalls');
  tally.numberMetric(job.phoneNumberId, 'NumberSends');
  if (outcome.kind !== 'meta_error') return;
  if (outcome.code === 130429) tally.numberMetric(job.phoneNumberId, 'NumberThrottled');
  log.warn('Meta rejected the send', { code: outcome.code, details: outcome.details, fbtraceId: outcome.fbtraceId, next: decision.state });
  tally.metric(`MetaErrors_${classifyMetaError(outcome.code).kind}`);
}

/** A gate that turned against the job after the checks: cancel it, or hold it until the gate's time. */
async function keepBack(sending: SendingRecord, gate: Exclude<Gate, { action: 'send' }>): Promise<void> {
  const at = sending.deps.now();
  if (gate.action === 'cancel') {
    await settleWithoutSending(sending, { now: at, state: JOB_STATES.cancelled, reason: gate.reason });
    return;
  }
  const { until, reason } = holdingOf(gate, at);
  await hold(sending, until, reason);
}

/** The breakers' say on this job now: this batch's own openings first, then the controls as last read. */
function gateNow({ job, batch, deps }: SendingRecord, now: number): Gate {
  if (batch.openedHere.has(`phone#${job.phoneNumberId}`) || batch.openedHere.has(`campaign#${job.campaignId}`)) {
    return { action: 'hold', until: now + 60_000, reason: 'breaker opened in this batch' };
  }
  const { fleet, phones, campaigns } = batch.controls;
  return gateFor(
    { fleet, phone: phones.get(job.phoneNumberId), campaign: campaigns.get(job.campaignId) },
    now,
    deps.config.retryPolicy.holdSeconds * 1000,
  );
}

/** A claimed job whose send time keeps slipping by (a stalled event loop) goes back to the queue after this many. */
const MAX_MISSED_SEND_TIMES = 3;
/** Reservations a claimed job makes for itself when the batch's times are all taken, before it goes back to the queue. */
const MAX_OWN_RESERVATIONS = 3;
/** A claimed job that found no send time comes back this much later (a wait that spends no retry). */
const PACING_RETRY_MS = 1_000;

/**
 * Sleeps until the earliest reserved time of the batch no other send has taken (see
 * SlotDispenser), and says whether the send may go. A send that wakes up too late takes the next
 * time instead of leaving late: late sends bunch with the next ones and Meta answers 130429.
 * When the batch has none left it reserves more. False when no time is free before the deadline,
 * or the job's times keep slipping by: the job is released rather than sent off the pace.
 */
async function waitForSendTime({ job, batch, deps, tally }: SendingRecord, factor: number): Promise<boolean> {
  let missed = 0;
  let reservations = 0;
  while (missed < MAX_MISSED_SEND_TIMES && reservations <= MAX_OWN_RESERVATIONS) {
    const at = batch.slots.take(job.phoneNumberId);
    if (at === undefined) {
      reservations += 1;
      if ((await batch.slots.acquire(job.phoneNumberId, batch.latestStart(), factor)) === undefined) return false;
      continue;
    }
    if (at > deps.now()) await deps.sleep(at - deps.now());
    if (deps.now() - at <= LATE_TOLERANCE_MS) return true;
    missed += 1;
    tally.metric('SendTimesMissed');
  }
  return false;
}
