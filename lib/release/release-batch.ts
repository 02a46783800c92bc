import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type ReleaseRuntime, releaseRecord } from './release-record.ts';

/**
 * One invocation of the release function: each deferred job on its own. A job not due yet is
 * parked (`ParkedUntilDue`) and reported as a batch item failure, so it stays on the deferred
 * queue, hidden until nearly due; the others are forwarded and deleted.
 */
export function releaseBatch(event: SQSEvent, context: Context, runtime: ReleaseRuntime): Promise<SQSBatchResponse> {
  return processPartialResponse(event, (record: SQSRecord) => releaseRecord(record, runtime), new BatchProcessor(EventType.SQS), {
    context,
    throwOnFullBatchFailure: false,
  });
}
