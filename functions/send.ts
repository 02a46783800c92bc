import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsClients } from '../lib/aws-clients.ts';
import { loadSendConfig } from '../lib/config.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { type SendRuntime, sendBatch } from '../lib/send/send-batch.ts';
import { createSendRuntime } from '../lib/send/runtime.ts';

/**
 * Send queue consumer: sends each job through the MM API at most once (see lib/send).
 * middy's early-timeout signal tells the batch to start no new send; if the handler still
 * runs at the very end, the invocation fails and SQS redelivers (claims keep that safe).
 */
export function createSendHandler(runtime: () => SendRuntime, observability: { logger: Logger; metrics: Metrics }) {
  return middy<SQSEvent, SQSBatchResponse>({
    timeoutEarlyInMillis: 1_000,
    timeoutEarlyResponse: () => {
      throw new Error('send function out of time: the batch goes back to the queue');
    },
  })
    .use(injectLambdaContext(observability.logger, { resetKeys: true }))
    .use(logMetrics(observability.metrics, { captureColdStartMetric: true }))
    .handler((event, context, { signal }) => sendBatch(event, context, runtime(), signal));
}

const logger = createLogger('send');
const metrics = createMetrics('send');
let runtime: SendRuntime | undefined;

export const handler = createSendHandler(() => {
  runtime ??= createSendRuntime({ config: loadSendConfig(), clients: createAwsClients(), logger, metrics });
  return runtime;
}, { logger, metrics });
