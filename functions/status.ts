import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createAwsClients } from '../lib/aws-clients.ts';
import { loadStatusConfig } from '../lib/config.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { createStatusRuntime } from '../lib/status/runtime.ts';
import { type StatusRuntime, statusBatch } from '../lib/status/status-batch.ts';

/** Status queue consumer: applies Meta's webhook events to jobs, users and campaign counters. */
export function createStatusHandler(runtime: () => StatusRuntime, observability: { logger: Logger; metrics: Metrics }) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(observability.logger, { resetKeys: true }))
    .use(logMetrics(observability.metrics))
    .handler((event, context) => statusBatch(event, context, runtime()));
}

const logger = createLogger('status');
const metrics = createMetrics('status');
let runtime: StatusRuntime | undefined;

export const handler = createStatusHandler(() => {
  runtime ??= createStatusRuntime({ config: loadStatusConfig(), clients: createAwsClients(), logger, metrics });
  return runtime;
}, { logger, metrics });
