import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { type SweepResult, type SweepRuntime, sweep } from '../lib/sweep/sweep-dropped.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createSweepRuntime } from '../lib/wiring/sweep.ts';

/** Scheduled: marks accepted jobs `dropped` once their validity ends without a delivery; if configured, re-sends `unknown` jobs once. */
export function createSweepHandler(runtime: () => SweepRuntime, { logger }: Observability) {
  return middy<unknown, SweepResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(() => sweep(runtime()));
}

export const sweepFunction = {
  name: 'sweep',
  observe: () => ({ logger: createLogger('sweep'), metrics: createMetrics('sweep') }),
  createRuntime: createSweepRuntime,
  createHandler: createSweepHandler,
} satisfies FunctionDefinition<SweepRuntime, ReturnType<typeof createSweepHandler>>;

export const handler = lambdaHandler(sweepFunction);
