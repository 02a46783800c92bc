import type { DispatchRoute } from '../domain/send-plan.ts';
import type { Rejection } from '../domain/validate-job.ts';

/** Message attribute on deferred-queue messages: when the job is due (epoch ms). */
export const DUE_AT_ATTRIBUTE = 'dueAt';

export interface DeadLetterDetails {
  rejection: Rejection;
  sourceMessageId: string;
  rejectedAt: number;
}

export interface JobQueues {
  /**
   * Puts a job back on the way to the send queue, due at the route's time. Calls made in the
   * same tick are sent together (SendMessageBatch, 10 per request); each call resolves or
   * rejects on its own entry's result.
   */
  dispatch(body: string, route: DispatchRoute, reason: string): Promise<void>;
  /** Moves a job that can never be sent to the DLQ, its original body intact and the reason attached. */
  deadLetter(body: string, details: DeadLetterDetails): Promise<void>;
  /** Hides a deferred message until it is (nearly) due. */
  park(receiptHandle: string, visibilitySeconds: number): Promise<void>;
}
