import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createCampaignCounters } from '../adapters/campaign-counters.ts';
import { createJobQueues } from '../adapters/job-queues.ts';
import { createJobStore } from '../adapters/job-store.ts';
import { createOpenDeadlines } from '../adapters/open-deadlines.ts';
import { createSweepWatermark } from '../adapters/sweep-watermark.ts';
import { createUserStore } from '../adapters/user-store.ts';
import type { AwsClients } from '../aws-clients.ts';
import type { StatusConfig, StoreConfig } from '../config.ts';
import type { StatusRuntime } from './status-batch.ts';
import type { SweepDeps } from './sweep-dropped.ts';

/** Wires the status path's adapters from configuration. */
export function createStatusRuntime({ config, clients, logger, metrics, now }: { config: StatusConfig; clients: AwsClients; logger: Logger; metrics: Metrics; now?: () => number }): StatusRuntime {
  const { statusQueueUrl, statusDeadLetterQueueUrl } = config.queues;
  return {
    jobs: createJobStore(clients.doc, { tableName: config.tables.jobs, retentionDays: config.jobRetentionDays }),
    users: createUserStore(clients.doc, { tableName: config.tables.users, retentionDays: config.userRetentionDays }),
    queues: createJobQueues(clients.sqs, config.queues),
    counters: createCampaignCounters(clients.doc, { tableName: config.tables.campaigns, shards: config.counterShards }),
    retryPolicy: config.retryPolicy,
    optOutPolicy: config.optOutPolicy,
    logger,
    metrics,
    now: now ?? Date.now,
    random: Math.random,
    newId: randomUUID,
    async retryLater(receiptHandle, seconds) {
      await clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: statusQueueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
    async deadLetter(body, reason, messageId) {
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: statusDeadLetterQueueUrl,
          MessageBody: body || '(empty body)',
          MessageAttributes: {
            rejectionReason: { DataType: 'String', StringValue: 'invalid_webhook_event' },
            rejectionDetail: { DataType: 'String', StringValue: reason.slice(0, 1024) || '-' },
            sourceMessageId: { DataType: 'String', StringValue: messageId },
          },
        }),
      );
    },
  };
}

export function createSweepDeps({ config, clients, logger, now }: { config: StoreConfig; clients: AwsClients; logger: Logger; now?: () => number }): SweepDeps {
  return {
    jobs: createJobStore(clients.doc, { tableName: config.tables.jobs, retentionDays: config.jobRetentionDays }),
    openDeadlines: createOpenDeadlines(clients.doc, { tableName: config.tables.campaigns }),
    counters: createCampaignCounters(clients.doc, { tableName: config.tables.campaigns, shards: config.counterShards }),
    watermark: createSweepWatermark(clients.doc, { tableName: config.tables.campaigns }),
    logger,
    now: now ?? Date.now,
  };
}
