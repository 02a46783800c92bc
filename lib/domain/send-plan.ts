import { JOB_STATES } from './job-state.ts';
import { type ClassifyOptions, classifyMetaError, type ErrorKind } from './meta-errors.ts';

/** SQS limits that every wait must respect (a delay and a single visibility extension). */
export const SQS_MAX_DELAY_SECONDS = 900;
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;

export interface RetryPolicy {
  /** Retries after passing errors (5xx, 130429, …) before the job fails. */
  maxTransientRetries: number;
  /** Wait after a 131049 before the next attempt (Meta: at least 24 h). */
  perUserLimitDelaySeconds: number;
  /** Attempts (first send included) before a job that keeps hitting 131049 ends `limit_exhausted`. */
  maxLimitAttempts: number;
  /**
   * Longest a held job stays away before it looks at its breakers again (number stopped, campaign
   * paused, all sending stopped), the job that met the error included. Under a minute, so that an
   * operator's close or resume shows within one: a look costs a receive and a send on the queue.
   */
  holdSeconds: number;
  /** Spread of retry waits, 0..1, so a burst of errors does not come back as a burst. */
  jitterRatio: number;
  /** Operator-tuned waits per Meta error code, replacing the classification's default. */
  waitOverrides?: Readonly<Record<number, number>>;
  classify?: ClassifyOptions;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxTransientRetries: 10,
  perUserLimitDelaySeconds: 86_400,
  maxLimitAttempts: 3,
  holdSeconds: 45,
  jitterRatio: 0.2,
};

/** What the MM API call came to, as the client reports it. */
export type SendOutcome =
  | { kind: 'accepted'; wamid: string; messageStatus: string; waId?: string }
  | { kind: 'meta_error'; code: number; message: string; details?: string; fbtraceId?: string; httpStatus: number }
  /** The request certainly never reached Meta (connection refused, DNS): safe to send again. */
  | { kind: 'not_sent'; reason: string }
  /** The request may have reached Meta (timeout, reset, unreadable 200): never send again. */
  | { kind: 'unknown'; reason: string };

/** Where a job stands before this attempt. Times are epoch milliseconds. */
export interface JobProgress {
  attempt: number;
  retries: number;
  validUntil: number;
}

export type Decision =
  /** `waId`: Meta's `contacts[0].wa_id`, which its statuses use as `recipient_id`. */
  | { state: typeof JOB_STATES.accepted; wamid: string; messageStatus: string; waId?: string }
  | { state: typeof JOB_STATES.failed; reason: string; errorCode?: number; errorKind?: ErrorKind }
  | { state: typeof JOB_STATES.unknown; reason: string }
  | { state: typeof JOB_STATES.expired; reason: string; errorCode?: number }
  | { state: typeof JOB_STATES.suppressed; reason: string; errorCode: number }
  | { state: typeof JOB_STATES.limitExhausted; reason: string; errorCode: number }
  | {
      state: typeof JOB_STATES.retryWait | typeof JOB_STATES.deferred;
      reason: string;
      dueAt: number;
      attempt: number;
      retries: number;
      errorCode?: number;
      errorKind?: ErrorKind;
      /** A claimed job put back unsent (a breaker, no send time free): not a retry, and not counted as one. */
      held?: true;
    };

export type WaitDecision = Extract<Decision, { dueAt: number }>;

/** What a decision is made with: the time, the retry policy and the random source for jitter. */
export interface Planning {
  now: number;
  policy: RetryPolicy;
  random: () => number;
}

/**
 * Decides what happens to a job after one MM API call. Pure: the caller passes the clock
 * and the random source, so every branch is testable.
 */
export function planAfterSend(outcome: SendOutcome, progress: JobProgress, planning: Planning): Decision {
  switch (outcome.kind) {
    case 'accepted':
      return {
        state: JOB_STATES.accepted,
        wamid: outcome.wamid,
        messageStatus: outcome.messageStatus,
        ...(outcome.waId === undefined ? {} : { waId: outcome.waId }),
      };
    case 'unknown':
      return { state: JOB_STATES.unknown, reason: outcome.reason };
    case 'not_sent':
      return planRetry(progress, planning, { waitSeconds: 30, reason: `not sent: ${outcome.reason}` });
    case 'meta_error':
      return planMetaError(outcome.code, progress, planning);
  }
}

function planMetaError(code: number, progress: JobProgress, planning: Planning): Decision {
  const { now, policy, random } = planning;
  const cls = classifyMetaError(code, policy.classify);
  const reason = `${code}: ${cls.meaning}`;
  switch (cls.kind) {
    case 'permanent':
      return { state: JOB_STATES.failed, reason, errorCode: code, errorKind: cls.kind };
    case 'opt_out':
      return { state: JOB_STATES.suppressed, reason, errorCode: code };
    case 'per_user_limit':
      return planPerUserLimitRetry(progress, now, policy, code);
    case 'retry': {
      const waitSeconds = policy.waitOverrides?.[code] ?? (cls.backoff === 'exponential4' ? 4 ** (progress.retries + 1) : cls.waitSeconds);
      return planRetry(progress, planning, { waitSeconds, reason, errorCode: code, errorKind: cls.kind });
    }
    case 'throttled':
      // The fleet sent too fast, not the job's fault: it waits without spending a retry.
      return planWait(progress, now, {
        waitSeconds: (policy.waitOverrides?.[code] ?? cls.waitSeconds) * (1 + policy.jitterRatio * random()),
        reason,
        errorCode: code,
        errorKind: cls.kind,
        retries: progress.retries,
      });
    case 'stop_phone_number':
    case 'pause_campaign':
      // Not the job's fault: it waits without spending one of its retries.
      return planWait(progress, now, {
        waitSeconds: policy.holdSeconds,
        reason,
        errorCode: code,
        errorKind: cls.kind,
        retries: progress.retries,
      });
  }
}

/**
 * A claimed job that may not be sent after all (a breaker opened while it waited for its send
 * time, or no send time was free): it waits until `until` without spending a retry, unless its
 * validity ends first. Nothing was sent, so the campaign's figures count no retry for it.
 */
export function planHold(progress: JobProgress, now: number, until: number, reason: string): Decision {
  const decision = planWait(progress, now, { waitSeconds: Math.max(1, (until - now) / 1000), reason, retries: progress.retries });
  return 'dueAt' in decision ? { ...decision, held: true } : decision;
}

/** Meta's per-user marketing limit. */
export const PER_USER_LIMIT_CODE = 131049;

/** Whether a decision records a 131049, whatever it decided (a retry, `expired`, `limit_exhausted`): every one is a hit. */
export function isPerUserLimitHit(decision: Decision): boolean {
  return 'errorCode' in decision && decision.errorCode === PER_USER_LIMIT_CODE;
}

/**
 * 131049: the next attempt is due no sooner than `perUserLimitDelaySeconds` after the hit,
 * unless the validity ends first or the attempts are used up.
 */
export function planPerUserLimitRetry(
  progress: JobProgress,
  hitAt: number,
  policy: RetryPolicy,
  errorCode = PER_USER_LIMIT_CODE,
): Decision {
  const reason = `${errorCode}: per-user marketing limit`;
  if (progress.attempt >= policy.maxLimitAttempts) {
    return { state: JOB_STATES.limitExhausted, reason: `${reason}; ${progress.attempt} attempts used`, errorCode };
  }
  const dueAt = hitAt + policy.perUserLimitDelaySeconds * 1000;
  if (dueAt >= progress.validUntil) {
    return { state: JOB_STATES.expired, reason: `${reason}; validity ends before the next allowed attempt`, errorCode };
  }
  return { state: JOB_STATES.deferred, reason, dueAt, attempt: progress.attempt + 1, retries: 0, errorCode, errorKind: 'per_user_limit' };
}

interface RetryRequest {
  waitSeconds: number;
  reason: string;
  errorCode?: number;
  errorKind?: ErrorKind;
}

function planRetry(progress: JobProgress, { now, policy, random }: Planning, request: RetryRequest): Decision {
  if (progress.retries >= policy.maxTransientRetries) {
    return {
      state: JOB_STATES.failed,
      reason: `${request.reason}; gave up after ${progress.retries} retries`,
      ...(request.errorCode === undefined ? {} : { errorCode: request.errorCode }),
      ...(request.errorKind === undefined ? {} : { errorKind: request.errorKind }),
    };
  }
  const jittered = request.waitSeconds * (1 + policy.jitterRatio * random());
  return planWait(progress, now, { ...request, waitSeconds: jittered, retries: progress.retries + 1 });
}

function planWait(progress: JobProgress, now: number, request: RetryRequest & { retries: number }): Decision {
  const dueAt = now + Math.ceil(request.waitSeconds * 1000);
  if (dueAt >= progress.validUntil) {
    return {
      state: JOB_STATES.expired,
      reason: `${request.reason}; validity ends before the retry`,
      ...(request.errorCode === undefined ? {} : { errorCode: request.errorCode }),
    };
  }
  return {
    state: dueAt - now > SQS_MAX_DELAY_SECONDS * 1000 ? JOB_STATES.deferred : JOB_STATES.retryWait,
    reason: request.reason,
    dueAt,
    attempt: progress.attempt,
    retries: request.retries,
    ...(request.errorCode === undefined ? {} : { errorCode: request.errorCode }),
    ...(request.errorKind === undefined ? {} : { errorKind: request.errorKind }),
  };
}

/** The validity deadline of a job, in epoch ms. */
export function validityDeadline(createdAt: number, validitySeconds: number): number {
  return createdAt + validitySeconds * 1000;
}

/**
 * How to make a job reappear at `dueAt`: a delayed message on the send queue when the wait
 * fits SQS's 900 s delay cap, otherwise the deferred queue, whose consumer parks it.
 */
export type DispatchRoute = { queue: 'send'; delaySeconds: number } | { queue: 'deferred'; dueAt: number };

export function dispatchRoute(dueAt: number, now: number): DispatchRoute {
  const remainingSeconds = Math.max(0, Math.ceil((dueAt - now) / 1000));
  return remainingSeconds <= SQS_MAX_DELAY_SECONDS ? { queue: 'send', delaySeconds: remainingSeconds } : { queue: 'deferred', dueAt };
}

/**
 * The deferred queue's consumer: how long to hide a message that is not due yet. One
 * visibility change may not exceed 12 h, and the last 900 s are a send-queue delay instead,
 * so the job lands on the send queue at its due second.
 */
export type ReleaseStep =
  | { action: 'forward'; delaySeconds: number }
  | { action: 'park'; visibilitySeconds: number }
  /** Sent again as a new deferred message: parking on would take this one towards SQS's retention. */
  | { action: 'renew' };

/**
 * A deferred message older than this after its next park is sent again as a new one. SQS deletes
 * a message 14 days after it was sent (the queue's retention, its maximum), while a job's wait
 * may be longer (a `notBefore` up to its 30-day validity); half the retention leaves a week for
 * a release function that stopped to be noticed (DeferredQueueOldestMessageAlarm) and mended.
 */
export const DEFERRED_RENEW_AFTER_SECONDS = 7 * 86_400;

export function planRelease({ dueAt, now, sentAt }: { dueAt: number; now: number; sentAt: number }): ReleaseStep {
  const remainingSeconds = Math.max(0, Math.ceil((dueAt - now) / 1000));
  if (remainingSeconds <= SQS_MAX_DELAY_SECONDS) return { action: 'forward', delaySeconds: remainingSeconds };
  const visibilitySeconds = Math.min(remainingSeconds - SQS_MAX_DELAY_SECONDS, SQS_MAX_VISIBILITY_SECONDS);
  if ((now - sentAt) / 1000 + visibilitySeconds > DEFERRED_RENEW_AFTER_SECONDS) return { action: 'renew' };
  return { action: 'park', visibilitySeconds };
}
