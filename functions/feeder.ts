import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type FeederRuntime, feedBatch } from '../lib/campaigns/feed-batch.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { createFeederRuntime } from '../lib/wiring/feeder.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';

/** Feed queue consumer: streams one campaign's audience onto the send queue, from its checkpoint. */
export function createFeederHandler(runtime: () => FeederRuntime, { logger, metrics }: Observability) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler((event: SQSEvent, context: Context) => feedBatch(event, context, runtime()));
}

export const feederFunction = {
  name: 'feeder',
  observe: () => ({ logger: createLogger('feeder'), metrics: createMetrics('feeder') }),
  createRuntime: createFeederRuntime,
  createHandler: createFeederHandler,
} satisfies FunctionDefinition<FeederRuntime, ReturnType<typeof createFeederHandler>>;

export const handler = lambdaHandler(feederFunction);
