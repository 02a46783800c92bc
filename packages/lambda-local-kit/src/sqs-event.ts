import type { Message, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSMessageAttribute, SQSRecord, SQSRecordAttributes } from 'aws-lambda';

/**
 * Converts a received SQS message into the record Lambda's SQS event source passes to a handler:
 * camel-cased fields, system attributes as strings, message attributes in Lambda's shape (binary
 * values base64-encoded, list fields present and empty).
 */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  if (!message.MessageId || !message.ReceiptHandle || message.Body === undefined || !message.MD5OfBody) {
    throw new Error(`SQS returned an incomplete message: ${JSON.stringify(message)}`);
  }
  const record: SQSRecord = {
    messageId: message.MessageId,
    receiptHandle: message.ReceiptHandle,
    body: message.Body,
    // ReceiveMessage was asked for all system attributes, which include the required ones.
    attributes: { ...message.Attributes } as unknown as SQSRecordAttributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, toLambdaAttribute(value)]),
    ),
    md5OfBody: message.MD5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

function toLambdaAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  return {
    ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
    ...(value.BinaryValue === undefined ? {} : { binaryValue: base64(value.BinaryValue) }),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map(base64),
    dataType: value.DataType ?? 'String',
  };
}

/** What the event source does with a batch after the handler returned. */
export interface BatchOutcome {
  /** Records to leave on the queue (they come back after the visibility timeout). */
  failedIds: Set<string>;
  /** Set when the whole batch failed because the response itself was invalid. */
  invalidResponse?: string;
}

/**
 * Applies Lambda's partial batch response rules (ReportBatchItemFailures): no response, no
 * `batchItemFailures` or an empty list is full success; listed ids fail; a malformed response or
 * an `itemIdentifier` that is empty, missing or not in the batch fails the whole batch.
 */
export function interpretBatchResponse(response: unknown, messageIds: readonly string[]): BatchOutcome {
  const wholeBatch = (reason: string): BatchOutcome => ({ failedIds: new Set(messageIds), invalidResponse: reason });
  if (response === undefined || response === null) return { failedIds: new Set() };
  if (typeof response !== 'object' || Array.isArray(response)) return wholeBatch('the response is not an SQSBatchResponse object');
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { failedIds: new Set() };
  if (!Array.isArray(failures)) return wholeBatch('batchItemFailures is not a list');

  const inBatch = new Set(messageIds);
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id: unknown =
      typeof failure === 'object' && failure !== null ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || id === '')
      return wholeBatch(`batchItemFailures holds an entry without an itemIdentifier: ${JSON.stringify(failure)}`);
    if (!inBatch.has(id)) return wholeBatch(`batchItemFailures names ${id}, which is not in the batch`);
    failedIds.add(id);
  }
  return { failedIds };
}
