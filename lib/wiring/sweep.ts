import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createSweepWatermark } from '../adapters/dynamodb/sweep-watermark.ts';
import { createJobQueues } from '../adapters/sqs/job-queues.ts';
import { loadSweepConfig } from '../config.ts';
import type { SweepRuntime } from '../sweep/sweep-dropped.ts';
import type { WiringContext } from './context.ts';
import { createStores } from './stores.ts';

/** The sweep's runtime: the job store, its to-do records, its watermark and, if configured, the re-send of `unknown` jobs. */
export function createSweepRuntime({ env, clients, logger, metrics, now }: WiringContext): SweepRuntime {
  const config = loadSweepConfig(env);
  const { jobs, openDeadlines } = createStores(config, clients);
  const clock = now ?? Date.now;
  const unknownResend = config.unknownResend && {
    jobs,
    queues: createJobQueues(clients.sqs, config.queues),
    now: clock,
    newId: randomUUID,
    windowMs: config.unknownResend.windowMs,
  };
  return {
    jobs,
    openDeadlines,
    watermark: createSweepWatermark(clients.doc, { tableName: config.tables.campaigns }),
    logger,
    now: clock,
    ...(unknownResend ? { unknownResend } : {}),
    // Published at once, not by the logMetrics middleware: a run with the re-send off has no
    // metrics, and the middleware would warn of that every 15 minutes.
    metric: (name, value) => {
      metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    },
  };
}
