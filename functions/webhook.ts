import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { handleWebhookRequest, type WebhookRuntime } from '../lib/webhook/handle-request.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createWebhookRuntime } from '../lib/wiring/webhook.ts';

/**
 * Meta's webhook endpoint behind a Lambda function URL: verify, write the progress statuses that
 * name their job, enqueue the rest, answer 200. No metrics middleware: the rare POST that counts
 * something (a refusal, events left out, progress that changed nothing) writes its metric line
 * itself (lib/webhook/webhook-metrics.ts).
 */
export function createWebhookHandler(runtime: () => WebhookRuntime, { logger }: Observability) {
  return middy<LambdaFunctionURLEvent, LambdaFunctionURLResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event) => handleWebhookRequest(event, runtime()));
}

export const webhookFunction = {
  name: 'webhook',
  observe: () => ({ logger: createLogger('webhook'), metrics: createMetrics('webhook') }),
  createRuntime: createWebhookRuntime,
  createHandler: createWebhookHandler,
} satisfies FunctionDefinition<WebhookRuntime, ReturnType<typeof createWebhookHandler>>;

export const handler = lambdaHandler(webhookFunction);
