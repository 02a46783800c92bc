import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger, createMetrics } from '../lib/observability.ts';
import type { StatusRuntime } from '../lib/status/context.ts';
import { statusBatch } from '../lib/status/status-batch.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createStatusRuntime } from '../lib/wiring/status.ts';

/** Status queue consumer: applies Meta's webhook events to jobs, users and campaign counters. */
export function createStatusHandler(runtime: () => StatusRuntime, { logger, metrics }: Observability) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler((event, context) => statusBatch(event, context, runtime()));
}

export const statusFunction = {
  name: 'status',
  observe: () => ({ logger: createLogger('status'), metrics: createMetrics('status') }),
  createRuntime: createStatusRuntime,
  createHandler: createStatusHandler,
} satisfies FunctionDefinition<StatusRuntime, ReturnType<typeof createStatusHandler>>;

export const handler = lambdaHandler(statusFunction);
