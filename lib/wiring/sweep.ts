import { createSweepWatermark } from '../adapters/dynamodb/sweep-watermark.ts';
import { loadSweepConfig } from '../config.ts';
import type { SweepRuntime } from '../sweep/sweep-dropped.ts';
import type { LoggerOnly, WiringContext } from './context.ts';
import { createStores } from './stores.ts';

/** The dropped sweep's runtime: the job store, its to-do records, its watermark and the counters. */
export function createSweepRuntime({ env, clients, logger, now }: WiringContext<LoggerOnly>): SweepRuntime {
  const config = loadSweepConfig(env);
  const { jobs, counters, openDeadlines } = createStores(config, clients);
  return {
    jobs,
    openDeadlines,
    counters,
    watermark: createSweepWatermark(clients.doc, { tableName: config.tables.campaigns }),
    logger,
    now: now ?? Date.now,
  };
}
