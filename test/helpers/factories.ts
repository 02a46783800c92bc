import { randomUUID } from 'node:crypto';
import type { SQSRecord } from 'aws-lambda';
import type { SendJobInput } from '../../lib/domain/job-contract.ts';
import type { JobRecord } from '../../lib/jobs/job-record.ts';

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

/** A job item as the send function leaves it after Meta accepted it, to write straight into the jobs table. */
export function anAcceptedJobItem(fields: {
  campaignId: string;
  recipient: string;
  wamid: string;
  acceptedAt: number;
  validityMs: number;
  phoneNumberId?: string;
}): Omit<JobRecord, 'jobKey'> {
  return {
    recipient: fields.recipient,
    campaignId: fields.campaignId,
    phoneNumberId: fields.phoneNumberId ?? '100000000000001',
    template: { name: 'autumn_sale', language: { code: 'en_US' } },
    state: 'accepted',
    attempt: 1,
    retries: 0,
    claimToken: 'sqs:seed',
    createdAt: new Date(fields.acceptedAt).toISOString(),
    validUntil: new Date(fields.acceptedAt + fields.validityMs).toISOString(),
    wamid: fields.wamid,
    acceptedAt: new Date(fields.acceptedAt).toISOString(),
    apiCalls: 1,
    // From the real clock: DynamoDB Local deletes expired items within seconds.
    expiresAt: Math.floor(Date.now() / 1000) + 90 * 86_400,
  };
}

/** Accepted by Meta, or already moved on by its statuses (the webhook writes them within milliseconds). */
export function isTakenByMeta(state: string | undefined): boolean {
  return state === 'accepted' || state === 'sent' || state === 'delivered' || state === 'read';
}
