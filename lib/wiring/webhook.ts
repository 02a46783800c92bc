import { createJobStore } from '../adapters/dynamodb/job-store.ts';
import { createStatusQueue } from '../adapters/sqs/status-queue.ts';
import { createSecretSource } from '../adapters/ssm/secret-source.ts';
import { loadWebhookConfig } from '../config.ts';
import type { WebhookRuntime } from '../webhook/handle-request.ts';
import { countProgressOutcomes, countUnservedEvents, countWebhookRejection } from '../webhook/webhook-metrics.ts';
import type { WiringContext } from './context.ts';

/** The webhook's runtime: its secrets from SSM, the jobs table and the status queue, the served accounts, and what it counts. */
export function createWebhookRuntime({ env, clients, logger, metrics, now }: WiringContext): WebhookRuntime {
  const config = loadWebhookConfig(env);
  const secret = (parameterName: string) =>
    createSecretSource({ parameterName, cacheSeconds: config.secretCacheSeconds, ssm: clients.ssm });
  return {
    appSecret: secret(config.appSecretParameter),
    verifyToken: secret(config.verifyTokenParameter),
    statusQueue: createStatusQueue(clients.sqs, { statusQueueUrl: config.statusQueueUrl }),
    jobs: createJobStore(clients.doc, { tableName: config.jobsTable, retentionDays: config.jobRetentionDays }),
    logger,
    countProgress: (counts) => countProgressOutcomes(metrics, counts),
    countRejection: (reason) => countWebhookRejection(metrics, reason),
    countUnserved: (reason, events) => countUnservedEvents(metrics, reason, events),
    accounts: config.accounts,
    now: now ?? Date.now,
    maxBodyBytes: config.maxBodyBytes,
  };
}
