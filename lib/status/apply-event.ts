import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSRecord } from 'aws-lambda';
import type { JobQueues } from '../adapters/job-queues.ts';
import type { JobRecord, JobStore, WebhookUpdate } from '../adapters/job-store.ts';
import type { UserStore } from '../adapters/user-store.ts';
import { isDeliveryStatus, routeOf, statusApplies } from '../domain/delivery-state.ts';
import { JOB_STATES } from '../domain/job-state.ts';
import type { SendJob } from '../domain/job-contract.ts';
import { type OptOutPolicy, preferenceFromMessage, waIdToE164 } from '../domain/opt-out.ts';
import { dispatchRoute, planAfterSend, planPerUserLimitRetry, type Decision, type RetryPolicy } from '../domain/send-plan.ts';
import { inboundMessageSchema, metaStatusSchema, type MetaStatus, userPreferenceSchema, type WebhookEnvelope } from '../domain/webhook-events.ts';
import { jobRef } from '../observability.ts';
import type { BatchTally } from '../send/batch-tally.ts';
import { dispatchBody } from '../send/dispatch-body.ts';
import { recordUserEffects } from '../send/user-effects.ts';

export interface StatusDeps {
  jobs: JobStore;
  users: UserStore;
  queues: Pick<JobQueues, 'dispatch'>;
  retryPolicy: RetryPolicy;
  optOutPolicy: OptOutPolicy;
  logger: Logger;
  now: () => number;
  random: () => number;
  newId: () => string;
}

/** A status for a wamid not recorded yet: handed back to the queue, retried later, never dropped. */
export class WamidNotFound extends Error {
  override name = 'WamidNotFound';
}

/** Bad events cannot become good by retrying; they are dead-lettered by the batch with this reason. */
export class InvalidWebhookEvent extends Error {
  override name = 'InvalidWebhookEvent';
}

/** Statuses for one job arrive together: after a few lost races, try again a little later. */
export class JobKeptChanging extends Error {
  override name = 'JobKeptChanging';
}

/** How often a status is re-read after a concurrent change before it is handed back to the queue. */
const OPTIMISTIC_RETRIES = 3;

/** Applies one webhook event from the status queue. Throws to hand it back to SQS. */
export async function applyWebhookEvent(record: SQSRecord, deps: StatusDeps, tally: BatchTally): Promise<void> {
  let envelope: WebhookEnvelope;
  try {
    envelope = JSON.parse(record.body) as WebhookEnvelope;
  } catch {
    throw new InvalidWebhookEvent('status queue message is not JSON');
  }
  const event = envelope.event;
  switch (event?.kind) {
    case 'status':
      return applyStatus(parseOrThrow(metaStatusSchema, event.status, 'status'), deps, tally);
    case 'user_preference':
      return applyUserPreference(parseOrThrow(userPreferenceSchema, event.preference, 'user_preference'), deps, tally);
    case 'inbound_message':
      return applyInboundMessage(parseOrThrow(inboundMessageSchema, event.message, 'inbound message'), deps, tally);
    case 'user_action':
      tally.metric('LinkClicks');
      return;
    default:
      throw new InvalidWebhookEvent(`unknown event kind ${JSON.stringify((event as { kind?: unknown } | undefined)?.kind)}`);
  }
}

function parseOrThrow<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidWebhookEvent(`${what}: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

async function applyStatus(status: MetaStatus, deps: StatusDeps, tally: BatchTally): Promise<void> {
  if (!isDeliveryStatus(status.status)) {
    tally.metric('StatusesIgnored');
    return;
  }
  const jobKey = await deps.jobs.findByWamid(status.id);
  if (!jobKey) throw new WamidNotFound(`no job with this wamid yet (${status.status})`);
  for (let tries = 0; tries < OPTIMISTIC_RETRIES; tries++) {
    const job = await deps.jobs.get(jobKey);
    if (!job) throw new WamidNotFound('job item not readable yet');
    if (job.wamid !== status.id) {
      // A status of an earlier attempt (the job has been sent again since): history only.
      tally.metric('StaleStatuses');
      return;
    }
    if (!statusApplies(job.state, status.status)) {
      tally.metric(job.state === JOB_STATES.sending ? 'StatusesDuringResend' : 'DuplicateOrLateStatuses');
      return;
    }
    const at = Number(status.timestamp) * 1000;
    const outcome = status.status === 'failed' ? await applyFailure(job, status, at, deps) : progressUpdate(status, at);
    if (await deps.jobs.applyWebhookUpdate(job, outcome.update, deps.now())) {
      await afterUpdate(job, outcome, at, deps, tally);
      return;
    }
    // The item changed between our read and write (another status, a resend): look again.
  }
  throw new JobKeptChanging('job kept changing while applying a status; retrying later');
}

type Outcome = { update: WebhookUpdate; decision?: Decision };

function progressUpdate(status: MetaStatus, at: number): Outcome {
  const state = status.status === 'sent' ? JOB_STATES.sent : status.status === 'delivered' ? JOB_STATES.delivered : JOB_STATES.read;
  const route = routeOf(status.pricing?.category);
  return { update: { kind: 'progress', state, at, ...(route ? { route } : {}) } };
}

/** A `failed` status: the same planning as a synchronous error, with the hit time from Meta. */
async function applyFailure(job: JobRecord, status: MetaStatus, at: number, deps: StatusDeps): Promise<Outcome> {
  const code = status.errors?.[0]?.code ?? 131000;
  const progress = { attempt: job.attempt, retries: job.retries, validUntil: Date.parse(job.validUntil) };
  const decision =
    code === 131049
      ? planPerUserLimitRetry(progress, at, deps.retryPolicy)
      : planAfterSend({ kind: 'meta_error', code, message: status.errors?.[0]?.message ?? '', httpStatus: 200 }, progress, deps.now(), deps.retryPolicy, deps.random);
  const nextDispatchId = 'dueAt' in decision ? deps.newId() : undefined;
  return { update: { kind: 'decision', decision, ...(nextDispatchId ? { nextDispatchId } : {}) }, decision };
}

async function afterUpdate(job: JobRecord, outcome: Outcome, at: number, deps: StatusDeps, tally: BatchTally): Promise<void> {
  const { update, decision } = outcome;
  const from = { state: job.state, ...(job.lastErrorCode === undefined ? {} : { errorCode: job.lastErrorCode }) };
  if (update.kind === 'progress') {
    tally.transition(job.campaignId, from, { state: update.state });
    if (update.state !== JOB_STATES.sent && !job.deliveredAt) {
      tally.count(job.campaignId, 'uniqueDelivered', 'JobsDelivered');
      if (job.attempt > 1 || job.retries > 0) tally.count(job.campaignId, 'deliveredAfterRetry');
    }
    if (update.route === 'cloud_api_fallback') tally.metric('CloudApiFallbacks');
    return;
  }
  if (!decision || update.kind !== 'decision') return;
  const errorCode = 'errorCode' in decision ? decision.errorCode : undefined;
  tally.transition(job.campaignId, from, errorCode === undefined ? { state: decision.state } : { state: decision.state, errorCode });
  deps.logger.info('message failed after acceptance', { job: jobRef(job.campaignId, job.recipient), code: errorCode, next: decision.state });
  await recordUserEffects(decision, job.recipient, at, deps.now(), deps.users);
  if ('dueAt' in decision && update.nextDispatchId) {
    tally.count(job.campaignId, 'retriesScheduled', 'RetriesScheduled');
    if (errorCode === 131049) tally.count(job.campaignId, 'perUserLimitHits', 'PerUserLimitHits');
    const contract = JSON.parse(job.payload) as SendJob;
    // If this enqueue fails the status is retried; the job item already waits for this id,
    // and a status that no longer applies is a no-op, so the retry re-plans nothing twice.
    await deps.queues.dispatch(dispatchBody(contract, decision.attempt, update.nextDispatchId, job.createdAt), dispatchRoute(decision.dueAt, deps.now()), decision.reason);
  }
}

async function applyUserPreference(preference: { wa_id: string; value: string; timestamp?: string | number | undefined; category?: string | undefined }, deps: StatusDeps, tally: BatchTally): Promise<void> {
  if (preference.category && preference.category !== 'marketing_messages') return;
  const value = preference.value.toLowerCase();
  if (value !== 'stop' && value !== 'resume') {
    tally.metric('PreferencesIgnored');
    return;
  }
  const at = preference.timestamp === undefined ? deps.now() : Number(preference.timestamp) * 1000;
  const applied = await deps.users.setPreference(waIdToE164(preference.wa_id), value === 'stop', 'user_preferences', at, deps.now());
  tally.metric(applied ? (value === 'stop' ? 'OptOuts' : 'OptIns') : 'StalePreferences');
}

async function applyInboundMessage(message: Parameters<typeof preferenceFromMessage>[0], deps: StatusDeps, tally: BatchTally): Promise<void> {
  const change = preferenceFromMessage(message, deps.optOutPolicy);
  if (!change) {
    tally.metric('InboundMessages');
    return;
  }
  const at = message.timestamp ? Number(message.timestamp) * 1000 : deps.now();
  const applied = await deps.users.setPreference(waIdToE164(message.from), change.optedOut, change.source, at, deps.now());
  tally.metric(applied ? (change.optedOut ? 'OptOuts' : 'OptIns') : 'StalePreferences');
}
