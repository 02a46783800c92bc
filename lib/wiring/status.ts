import { randomUUID } from 'node:crypto';
import { createJobQueues } from '../adapters/sqs/job-queues.ts';
import { createStatusQueue } from '../adapters/sqs/status-queue.ts';
import { loadStatusConfig } from '../config.ts';
import type { StatusRuntime } from '../status/context.ts';
import type { WiringContext } from './context.ts';
import { createStores } from './stores.ts';

/** The status function's runtime: the stores, the queues it re-dispatches and hands back on, the retry and opt-out rules. */
export function createStatusRuntime({ env, clients, logger, metrics, now, random }: WiringContext): StatusRuntime {
  const config = loadStatusConfig(env);
  const { jobs, users, counters } = createStores(config, clients);
  return {
    jobs,
    users,
    counters,
    queues: createJobQueues(clients.sqs, config.queues),
    statusQueue: createStatusQueue(clients.sqs, config.queues),
    retryPolicy: config.retryPolicy,
    optOutPolicy: config.optOutPolicy,
    logger,
    metrics,
    now: now ?? Date.now,
    random: random ?? Math.random,
    newId: randomUUID,
  };
}
