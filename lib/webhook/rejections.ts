import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { WebhookRejection } from './handle-request.ts';

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
