import { randomUUID } from 'node:crypto';
import { DynamoCampaignStore } from '../adapters/dynamodb/campaign-store.ts';
import { createControlStore } from '../adapters/dynamodb/control-store.ts';
import { createFeedTrigger } from '../adapters/sqs/feed-trigger.ts';
import { createJobQueues } from '../adapters/sqs/job-queues.ts';
import { createStatusQueue } from '../adapters/sqs/status-queue.ts';
import { loadStatusConfig } from '../config.ts';
import type { StatusRuntime } from '../status/context.ts';
import type { WiringContext } from './context.ts';
import { createStores } from './stores.ts';

/** The status function's runtime: the stores (campaign items too, for template webhooks), the queues it re-dispatches and hands back on, the retry and opt-out rules. */
export function createStatusRuntime({ env, clients, logger, metrics, now, random }: WiringContext): StatusRuntime {
  const config = loadStatusConfig(env);
  const { jobs, users, counters } = createStores(config, clients);
  return {
    jobs,
    users,
    campaigns: new DynamoCampaignStore(clients.doc, { tableName: config.tables.campaigns }),
    campaignFollowers: {
      controls: createControlStore(clients.doc, { tableName: config.controlTable }),
      feeds: createFeedTrigger(clients.sqs, config.queues.feedQueueUrl),
      now: now ?? Date.now,
    },
    counters,
    queues: createJobQueues(clients.sqs, config.queues),
    statusQueue: createStatusQueue(clients.sqs, config.queues),
    retryPolicy: config.retryPolicy,
    optOutPolicy: config.optOutPolicy,
    unknownMatchWindowMs: config.unknownMatchWindowMs,
    accounts: config.accounts,
    logger,
    metrics,
    now: now ?? Date.now,
    random: random ?? Math.random,
    newId: randomUUID,
  };
}
