import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLogger } from '../lib/observability.ts';
import { type ReleaseRuntime, releaseRecord } from '../lib/release/release-record.ts';
import type { FunctionDefinition, LoggerOnly } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createReleaseRuntime } from '../lib/wiring/release.ts';

/** Deferred queue consumer: hands jobs back to the send queue at their due second. */
export function createReleaseHandler(runtime: () => ReleaseRuntime, { logger }: LoggerOnly) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context) =>
      processPartialResponse(event, (record: SQSRecord) => releaseRecord(record, runtime()), new BatchProcessor(EventType.SQS), {
        context,
        throwOnFullBatchFailure: false,
      }),
    );
}

export const releaseFunction = {
  name: 'release',
  observe: () => ({ logger: createLogger('release') }),
  createRuntime: createReleaseRuntime,
  createHandler: createReleaseHandler,
} satisfies FunctionDefinition<ReleaseRuntime, ReturnType<typeof createReleaseHandler>, LoggerOnly>;

export const handler = lambdaHandler(releaseFunction);
