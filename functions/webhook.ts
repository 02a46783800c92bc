import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createAwsClients } from '../lib/aws-clients.ts';
import { loadWebhookConfig } from '../lib/config.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { handleWebhookRequest, type WebhookDeps } from '../lib/webhook/handle-request.ts';
import { createWebhookDeps } from '../lib/webhook/runtime.ts';

/** Meta's webhook endpoint behind a Lambda function URL: verify, enqueue, answer 200. */
export function createWebhookHandler(deps: () => WebhookDeps, logger: Logger) {
  return middy<LambdaFunctionURLEvent, LambdaFunctionURLResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event) => handleWebhookRequest(event, deps()));
}

const logger = createLogger('webhook');
// Written only when a POST is refused (lib/webhook/runtime.ts), so no logMetrics middleware here.
const metrics = createMetrics('webhook');
let deps: WebhookDeps | undefined;

export const handler = createWebhookHandler(() => {
  deps ??= createWebhookDeps({ config: loadWebhookConfig(), clients: createAwsClients(), logger, metrics });
  return deps;
}, logger);
