/**
 * The states a job record moves through on the send path. Operators filter on these in the
 * DynamoDB console, so the names are part of the interface.
 */
export const JOB_STATES = {
  /** Claimed by a sender; the API call is in progress (or its worker died: see `unknown`). */
  sending: 'sending',
  /** Meta answered 200 with a wamid. Accepted is not delivered: webhooks tell the rest. */
  accepted: 'accepted',
  /** Waiting on the send queue for a retry after a passing error (at most 900 s per hop). */
  retryWait: 'retry_wait',
  /** Waiting on the deferred queue for a wait longer than SQS can delay (131049: 24 h). */
  deferred: 'deferred',
  /** Permanent failure; `lastErrorCode` says why. */
  failed: 'failed',
  /** Its validity ended before it could be sent or re-sent. */
  expired: 'expired',
  /** The request may have reached Meta but no answer came back; never re-sent automatically. */
  unknown: 'unknown',
  /** The recipient opted out (131050); never sent again. */
  suppressed: 'suppressed',
  /** 131049 came back on every allowed attempt. */
  limitExhausted: 'limit_exhausted',
  /** Meta's `sent` webhook: on its way to the user's device. */
  sent: 'sent',
  /** Meta's `delivered` webhook: on at least one of the user's devices. */
  delivered: 'delivered',
  /** Meta's `read` webhook (implies delivered). */
  read: 'read',
  /** No delivered/read status by the validity deadline: Meta dropped it without a word. */
  dropped: 'dropped',
  /** Its campaign was cancelled by an operator before it was sent. */
  cancelled: 'cancelled',
} as const;

export type JobState = (typeof JOB_STATES)[keyof typeof JOB_STATES];

/** States in which the job waits to be dispatched again by the message that holds `nextDispatchId`. */
export const WAITING_STATES: readonly JobState[] = [JOB_STATES.retryWait, JOB_STATES.deferred];

/** States that end the send path for this job (webhooks may still refine the accepted ones). */
export const FINAL_STATES: readonly JobState[] = [
  JOB_STATES.accepted,
  JOB_STATES.sent,
  JOB_STATES.delivered,
  JOB_STATES.read,
  JOB_STATES.dropped,
  JOB_STATES.failed,
  JOB_STATES.expired,
  JOB_STATES.unknown,
  JOB_STATES.suppressed,
  JOB_STATES.limitExhausted,
  JOB_STATES.cancelled,
];

/** Every state, for counters and reports. */
export const ALL_STATES: readonly JobState[] = Object.values(JOB_STATES);
