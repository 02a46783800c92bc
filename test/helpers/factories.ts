import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { SendJobInput } from '../../lib/domain/job-contract.ts';

/** A valid send job; override any field. Recipients are valid German mobile numbers. */
export function aJob(overrides: Partial<SendJobInput> & Record<string, unknown> = {}): SendJobInput {
  return {
    schemaVersion: 1,
    campaignId: 'autumn-2026',
    recipient: '+4915112345678',
    phoneNumberId: '100000000000001',
    template: {
      name: 'autumn_sale',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Jasper' }] }],
    },
    ...overrides,
  } as SendJobInput;
}

/** The n-th of a series of distinct valid recipients (German mobile range +49151…). */
export function recipientNumber(n: number): string {
  return `+49151${String(10_000_000 + n).padStart(8, '0')}`;
}

/** An SQS record as Lambda delivers it. */
export function sqsRecord(body: string, overrides: Partial<SQSRecord> = {}): SQSRecord {
  const now = Date.now();
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(now),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:send',
    awsRegion: 'us-east-1',
    ...overrides,
  };
}
