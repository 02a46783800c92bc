/**
 * What the webhook function counts, each written at once as its own EMF line: a normal POST counts
 * nothing, so the function has no per-invocation metrics flush.
 */
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { WebhookRejection } from './handle-request.ts';
import type { UnservedReason } from './scope.ts';

/** The metric each kind of refused POST counts in (namespace WaMarketingSender, function webhook). */
const WEBHOOK_REJECTION_METRICS: Record<WebhookRejection, string> = {
  signature_missing: 'WebhookSignatureMissing',
  signature_invalid: 'WebhookSignatureInvalid',
  payload_invalid: 'WebhookPayloadInvalid',
  payload_too_large: 'WebhookPayloadTooLarge',
};

/**
 * Counts one refused POST and writes its EMF line at once. The webhook function has no metrics
 * middleware: flushing per invocation would write a line (or Powertools' "no metrics" warning)
 * on every one of the ~3 webhooks per message.
 */
export function countWebhookRejection(metrics: Metrics, reason: WebhookRejection): void {
  metrics.addMetric(WEBHOOK_REJECTION_METRICS[reason], MetricUnit.Count, 1);
  metrics.publishStoredMetrics();
}

/**
 * Counts the events of a signed POST left out because their account or number is not served
 * here: `UnservedWebhookEvents` with a `reason` dimension (`object`, `account`, `phone_number`),
 * written at once like a rejection.
 */
export function countUnservedEvents(metrics: Metrics, reason: UnservedReason, events: number): void {
  metrics.addDimension('reason', reason);
  metrics.addMetric('UnservedWebhookEvents', MetricUnit.Count, events);
  metrics.publishStoredMetrics();
}

/**
 * The counts of one POST's progress writes that changed nothing or fell back to the queue
 * (`DuplicateOrLateStatuses`, `StaleStatuses`, `ProgressQueuedAfterWriteError`…), written at once.
 */
export function countProgressOutcomes(metrics: Metrics, counts: ReadonlyMap<string, number>): void {
  for (const [name, value] of counts) metrics.addMetric(name, MetricUnit.Count, value);
  metrics.publishStoredMetrics();
}
