import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { createControlStore } from '../adapters/dynamodb/control-store.ts';
import { createMmApiClient } from '../adapters/meta/mm-api-client.ts';
import { createJobQueues } from '../adapters/sqs/job-queues.ts';
import { createSecretSource } from '../adapters/ssm/secret-source.ts';
import { loadSendConfig } from '../config.ts';
import type { SendRuntime } from '../send/context.ts';
import type { WiringContext } from './context.ts';
import { createStores } from './stores.ts';

/** The send function's runtime: its configuration, every adapter of the send path, a clock and a sleep. */
export function createSendRuntime({ env, clients, logger, metrics, now, random, fetch, sleep }: WiringContext): SendRuntime {
  const config = loadSendConfig(env);
  const accessToken = createSecretSource({
    parameterName: config.meta.accessTokenParameter,
    cacheSeconds: config.meta.tokenCacheSeconds,
    ssm: clients.ssm,
  });
  const { jobs, users, counters, openDeadlines } = createStores(config, clients);
  const { baseUrl, apiVersion, timeoutMs } = config.meta;
  return {
    config,
    logger,
    metrics,
    jobs,
    users,
    counters,
    openDeadlines,
    controls: createControlStore(clients.doc, { tableName: config.controlTable }),
    queues: createJobQueues(clients.sqs, config.queues),
    mmApi: createMmApiClient({ baseUrl, apiVersion, timeoutMs, accessToken, ...(fetch ? { fetch } : {}) }),
    now: now ?? Date.now,
    random: random ?? Math.random,
    newId: randomUUID,
    sleep: sleep ?? ((ms, signal) => setTimeout(ms, undefined, signal ? { signal } : undefined).catch(() => undefined)),
  };
}
