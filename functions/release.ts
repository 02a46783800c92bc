import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createLogger } from '../lib/observability.ts';
import { releaseBatch } from '../lib/release/release-batch.ts';
import type { ReleaseRuntime } from '../lib/release/release-record.ts';
import type { FunctionDefinition, LoggerOnly } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createReleaseRuntime } from '../lib/wiring/release.ts';

/** Deferred queue consumer: hands jobs back to the send queue at their due second. */
export function createReleaseHandler(runtime: () => ReleaseRuntime, { logger }: LoggerOnly) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context) => releaseBatch(event, context, runtime()));
}

export const releaseFunction = {
  name: 'release',
  observe: () => ({ logger: createLogger('release') }),
  createRuntime: createReleaseRuntime,
  createHandler: createReleaseHandler,
} satisfies FunctionDefinition<ReleaseRuntime, ReturnType<typeof createReleaseHandler>, LoggerOnly>;

export const handler = lambdaHandler(releaseFunction);
