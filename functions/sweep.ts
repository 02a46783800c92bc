import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { createLogger } from '../lib/observability.ts';
import { type SweepResult, type SweepRuntime, sweepDropped } from '../lib/sweep/sweep-dropped.ts';
import type { FunctionDefinition, LoggerOnly } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createSweepRuntime } from '../lib/wiring/sweep.ts';

/** Scheduled: marks accepted jobs `dropped` once their validity ends without a delivery. */
export function createSweepHandler(runtime: () => SweepRuntime, { logger }: LoggerOnly) {
  return middy<unknown, SweepResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(() => sweepDropped(runtime()));
}

export const sweepFunction = {
  name: 'sweep',
  observe: () => ({ logger: createLogger('sweep') }),
  createRuntime: createSweepRuntime,
  createHandler: createSweepHandler,
} satisfies FunctionDefinition<SweepRuntime, ReturnType<typeof createSweepHandler>, LoggerOnly>;

export const handler = lambdaHandler(sweepFunction);
