import type { WebhookEnvelope } from '../domain/webhook-events.ts';

/**
 * The status queue: the webhook puts Meta's events on it, the status function hands back the
 * ones that need time and dead-letters the ones no retry can fix (adapter:
 * `lib/adapters/sqs/status-queue.ts`).
 */
export interface StatusQueue {
  /** Queues the events (10 per request); throws when any could not be stored. */
  enqueue(envelopes: readonly WebhookEnvelope[]): Promise<void>;
  /** Hides a handed-back message for a while (a wamid not recorded yet needs time, not hammering). */
  retryLater(receiptHandle: string, seconds: number): Promise<void>;
  /** Moves a message that can never be applied to the status DLQ with its reason. */
  deadLetter(body: string, reason: string, messageId: string): Promise<void>;
}
