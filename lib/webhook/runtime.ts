import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { createSecretSource } from '../adapters/secret-source.ts';
import { sendInBatches } from '../adapters/sqs-batch-sender.ts';
import type { AwsClients } from '../aws-clients.ts';
import type { WebhookConfig } from '../config.ts';
import type { WebhookDeps, WebhookRejection } from './handle-request.ts';

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

/** Wires the webhook path: secrets from SSM, events onto the status queue, rejections counted. */
export function createWebhookDeps({ config, clients, logger, metrics, now }: { config: WebhookConfig; clients: AwsClients; logger: Logger; metrics: Metrics; now?: () => number }): WebhookDeps {
  const secret = (parameterName: string) => createSecretSource({ parameterName, cacheSeconds: config.secretCacheSeconds, ssm: clients.ssm });
  return {
    appSecret: secret(config.appSecretParameter),
    verifyToken: secret(config.verifyTokenParameter),
    async enqueue(envelopes) {
      const report = await sendInBatches(clients.sqs, config.statusQueueUrl, envelopes.map((envelope, index) => ({ index, body: JSON.stringify(envelope) })), 10);
      if (report.failed.length > 0) throw new Error(`${report.failed.length} webhook events could not be queued: ${report.failed[0]!.error}`);
    },
    logger,
    countRejection: (reason) => countWebhookRejection(metrics, reason),
    now: now ?? Date.now,
    maxBodyBytes: config.maxBodyBytes,
  };
}
