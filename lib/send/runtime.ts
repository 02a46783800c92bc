import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { createControlStore } from '../adapters/control-store.ts';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { createSecretSource } from '../adapters/secret-source.ts';
import { createCampaignCounters } from '../adapters/campaign-counters.ts';
import { createJobQueues } from '../adapters/job-queues.ts';
import { createJobStore } from '../adapters/job-store.ts';
import { createOpenDeadlines } from '../adapters/open-deadlines.ts';
import { createUserStore } from '../adapters/user-store.ts';
import { createMmApiClient } from '../adapters/mm-api-client.ts';
import type { AwsClients } from '../aws-clients.ts';
import type { SendConfig } from '../config.ts';
import type { SendRuntime } from './send-batch.ts';

export interface SendRuntimeOptions {
  config: SendConfig;
  clients: AwsClients;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
  random?: () => number;
  fetch?: typeof fetch;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Wires the send path's adapters from configuration: the one place that knows them all. */
export function createSendRuntime({ config, clients, logger, metrics, now, random, fetch, sleep }: SendRuntimeOptions): SendRuntime {
  const accessToken = createSecretSource({ parameterName: config.meta.accessTokenParameter, cacheSeconds: config.meta.tokenCacheSeconds, ssm: clients.ssm });
  return {
    config,
    logger,
    metrics,
    jobs: createJobStore(clients.doc, { tableName: config.tables.jobs, retentionDays: config.jobRetentionDays }),
    users: createUserStore(clients.doc, { tableName: config.tables.users, retentionDays: config.userRetentionDays }),
    controls: createControlStore(clients.doc, { tableName: config.controlTable }),
    queues: createJobQueues(clients.sqs, config.queues),
    counters: createCampaignCounters(clients.doc, { tableName: config.tables.campaigns, shards: config.counterShards }),
    openDeadlines: createOpenDeadlines(clients.doc, { tableName: config.tables.campaigns }),
    mmApi: createMmApiClient({ baseUrl: config.meta.baseUrl, apiVersion: config.meta.apiVersion, timeoutMs: config.meta.timeoutMs, accessToken, ...(fetch ? { fetch } : {}) }),
    now: now ?? Date.now,
    random: random ?? Math.random,
    newId: randomUUID,
    sleep: sleep ?? ((ms, signal) => setTimeout(ms, undefined, signal ? { signal } : undefined).catch(() => undefined)),
  };
}
