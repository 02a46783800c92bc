import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger, createMetrics } from '../lib/observability.ts';
import type { SendRuntime } from '../lib/send/context.ts';
import { sendBatch } from '../lib/send/send-batch.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createSendRuntime } from '../lib/wiring/send.ts';

/**
 * Send queue consumer: sends each job through the MM API at most once (see lib/send).
 * middy's early-timeout signal tells the batch to start no new send; if the handler still
 * runs at the very end, the invocation fails and SQS redelivers (claims keep that safe).
 */
export function createSendHandler(runtime: () => SendRuntime, { logger, metrics }: Observability) {
  return middy<SQSEvent, SQSBatchResponse>({
    timeoutEarlyInMillis: 1_000,
    timeoutEarlyResponse: () => {
      throw new Error('send function out of time: the batch goes back to the queue');
    },
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .handler((event, context, { signal }) => sendBatch(event, context, runtime(), signal));
}

export const sendFunction = {
  name: 'send',
  observe: () => ({ logger: createLogger('send'), metrics: createMetrics('send') }),
  createRuntime: createSendRuntime,
  createHandler: createSendHandler,
} satisfies FunctionDefinition<SendRuntime, ReturnType<typeof createSendHandler>>;

export const handler = lambdaHandler(sendFunction);
