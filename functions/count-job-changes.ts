import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { type CountsRuntime, countStreamBatch } from '../lib/counts/count-stream-batch.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { createCountsRuntime } from '../lib/wiring/count-job-changes.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';

type Runtime = CountsRuntime<DynamoDBStreamEvent>;

/** Jobs table stream consumer: adds each job change to its campaign's counters, exactly once. */
export function createCountJobChangesHandler(runtime: () => Runtime, { logger, metrics }: Observability) {
  return middy<DynamoDBStreamEvent, void>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event) => {
      await countStreamBatch(event, runtime());
    });
}

export const countJobChangesFunction = {
  name: 'countJobChanges',
  observe: () => ({ logger: createLogger('countJobChanges'), metrics: createMetrics('countJobChanges') }),
  createRuntime: createCountsRuntime,
  createHandler: createCountJobChangesHandler,
} satisfies FunctionDefinition<Runtime, ReturnType<typeof createCountJobChangesHandler>>;

export const handler = lambdaHandler(countJobChangesFunction);
