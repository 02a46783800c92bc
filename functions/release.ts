import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type ReleaseRuntime, releaseRecord } from '../lib/release/release-record.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';
import { createReleaseRuntime } from '../lib/wiring/release.ts';

/** Deferred queue consumer: hands jobs back to the send queue at their due second. */
export function createReleaseHandler(runtime: () => ReleaseRuntime, { logger }: Observability) {
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
  createRuntime: createReleaseRuntime,
  createHandler: createReleaseHandler,
} satisfies FunctionDefinition<ReleaseRuntime, ReturnType<typeof createReleaseHandler>>;

export const handler = lambdaHandler(releaseFunction);
