import type { _Record, AttributeValue as StreamsAttributeValue } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

/**
 * Turns a GetRecords record into the record Lambda passes in a `DynamoDBStreamEvent`: the same
 * fields, plus `eventSourceARN`, with binary values as base64 and the creation time in epoch
 * seconds (the SDK hands back `Uint8Array`s and a `Date`, the event carries JSON).
 */
export function toDynamoDbStreamRecord(record: _Record, streamArn: string, region: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: region,
    dynamodb: {
      ...(created === undefined ? {} : { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) }),
      ...(stream.Keys ? { Keys: toEventImage(stream.Keys) } : {}),
      ...(stream.NewImage ? { NewImage: toEventImage(stream.NewImage) } : {}),
      ...(stream.OldImage ? { OldImage: toEventImage(stream.OldImage) } : {}),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
    eventSourceARN: streamArn,
    ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
  };
}

function toEventImage(image: Record<string, StreamsAttributeValue>): Record<string, AttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toEventValue(value)]));
}

function toEventValue(value: StreamsAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (value.L !== undefined) return { L: value.L.map(toEventValue) };
  if (value.M !== undefined) return { M: toEventImage(value.M) };
  return value as AttributeValue;
}

/**
 * Where to resume after an invocation, under `functionResponseType: ReportBatchItemFailures`: the
 * index of the batch's earliest reported record (Lambda checkpoints just before it), or undefined
 * when nothing failed. A response naming a record outside the batch, or shaped wrongly, fails the
 * whole batch (index 0), as on AWS; so does an `invalidResponse`, which says why.
 */
export function streamResumeIndex(response: unknown, sequenceNumbers: readonly string[]): { resumeAt?: number; invalidResponse?: string } {
  if (response === undefined || response === null) return {};
  if (typeof response !== 'object') return { resumeAt: 0, invalidResponse: 'the response is not an object' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return {};
  if (!Array.isArray(failures)) return { resumeAt: 0, invalidResponse: 'batchItemFailures is not a list' };
  let resumeAt: number | undefined;
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const index = typeof identifier === 'string' ? sequenceNumbers.indexOf(identifier) : -1;
    if (index < 0)
      return { resumeAt: 0, invalidResponse: `itemIdentifier ${JSON.stringify(identifier)} is not a sequence number of the batch` };
    resumeAt = Math.min(resumeAt ?? index, index);
  }
  return resumeAt === undefined ? {} : { resumeAt };
}
