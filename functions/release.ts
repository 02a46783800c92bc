import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createJobQueues } from '../lib/adapters/job-queues.ts';
import { createAwsClients } from '../lib/aws-clients.ts';
import { loadReleaseConfig } from '../lib/config.ts';
import { createLogger } from '../lib/observability.ts';
import { type ReleaseDeps, releaseRecord } from '../lib/release/release-record.ts';

/** Deferred queue consumer: hands jobs back to the send queue at their due second. */
export function createReleaseHandler(deps: () => ReleaseDeps, logger: Logger) {
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context) =>
      processPartialResponse(event, (record: SQSRecord) => releaseRecord(record, deps()), new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false }),
    );
}

const logger = createLogger('release');
let deps: ReleaseDeps | undefined;

export const handler = createReleaseHandler(() => {
  deps ??= { queues: createJobQueues(createAwsClients().sqs, loadReleaseConfig()), now: Date.now };
  return deps;
}, logger);
