import type { Logger } from '@aws-lambda-powertools/logger';
import { createSecretSource } from '../adapters/secret-source.ts';
import { sendInBatches } from '../adapters/sqs-batch-sender.ts';
import type { AwsClients } from '../aws-clients.ts';
import type { WebhookConfig } from '../config.ts';
import type { WebhookDeps } from './handle-request.ts';

/** Wires the webhook path: secrets from SSM, events onto the status queue. */
export function createWebhookDeps({ config, clients, logger, now }: { config: WebhookConfig; clients: AwsClients; logger: Logger; now?: () => number }): WebhookDeps {
  const secret = (parameterName: string) => createSecretSource({ parameterName, cacheSeconds: config.secretCacheSeconds, ssm: clients.ssm });
  return {
    appSecret: secret(config.appSecretParameter),
    verifyToken: secret(config.verifyTokenParameter),
    async enqueue(envelopes) {
      const report = await sendInBatches(clients.sqs, config.statusQueueUrl, envelopes.map((envelope, index) => ({ index, body: JSON.stringify(envelope) })), 10);
      if (report.failed.length > 0) throw new Error(`${report.failed.length} webhook events could not be queued: ${report.failed[0]!.error}`);
    },
    logger,
    now: now ?? Date.now,
    maxBodyBytes: config.maxBodyBytes,
  };
}
