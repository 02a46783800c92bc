import type { SQSEvent } from 'aws-lambda';
import { createLambdaContext } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import { aJob, recipientNumber, sqsRecord } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, type StatusFields, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * One status batch holding several statuses for the same message: the job is written once.
 * The status queue is not polled here: the test posts webhooks, takes what the webhook function
 * queued and hands it to the real status handler as one batch. Every DynamoDB request the
 * functions make is seen by `injectFault`, which fails chosen job writes (a fault DynamoDB
 * Local cannot produce on demand).
 */
const requests: Array<{ command: string; input: Record<string, unknown> }> = [];
let failJobWritesFor: string | undefined;
const harness = await startSendHarness(baseScenario(), {
  startStatusPoller: false,
  injectFault(service, command, input) {
    if (service !== 'dynamodb') return undefined;
    requests.push({ command, input });
    const values = jobUpdateOf({ command, input })?.ExpressionAttributeValues as Record<string, unknown> | undefined;
    if (failJobWritesFor && values?.[':statusWamid'] === failJobWritesFor) {
      return Object.assign(new Error('Throughput exceeds the current capacity of your table or index.'), {
        name: 'ThrottlingException',
        $fault: 'client',
      });
    }
    return undefined;
  },
});
const url = harness.deployment.webhookUrl!;
const r = (n: number) => recipientNumber(8_000 + n);

async function accepted(campaignId: string, recipient: string): Promise<JobRecord> {
  await harness.enqueue([aJob({ campaignId, recipient })]);
  const jobs = await harness.waitForJobs((all) => all.some((j) => j.campaignId === campaignId && j.state === 'accepted'));
  return jobs.find((j) => j.campaignId === campaignId)!;
}

/** Posts the webhooks, then applies everything they queued as one status batch; returns the handed-back records' statuses. */
async function oneBatch(...posts: StatusFields[][]): Promise<string[]> {
  for (const statuses of posts) expect((await postWebhook(url, statusesPayload(statuses))).status).toBe(200);
  const messages = await harness.drain('StatusQueue');
  expect(messages.length).toBe(posts.flat().length);
  requests.length = 0;
  const event: SQSEvent = {
    Records: messages.map((m) => sqsRecord(m.Body!, { messageId: m.MessageId!, receiptHandle: m.ReceiptHandle! })),
  };
  const response = await harness.deployment.statusHandler(event, createLambdaContext({ functionName: 'status', timeoutMs: 30_000 }));
  const bodies = new Map(
    event.Records.map((record) => [record.messageId, JSON.parse(record.body).event.status as { id: string; status: string }]),
  );
  return (response?.batchItemFailures ?? []).map((failure) => bodies.get(failure.itemIdentifier)!.status).sort();
}

const jobRequests = (command: string) => requests.filter((q) => q.command === command && String(q.input.TableName).endsWith('-jobs'));
/** A job write's update (an UpdateItem on the jobs table). */
function jobUpdateOf(q: { command: string; input: Record<string, unknown> }): Record<string, unknown> | undefined {
  return q.command === 'UpdateItemCommand' && String(q.input.TableName).endsWith('-jobs') ? q.input : undefined;
}
const jobWrites = () => requests.filter((q) => jobUpdateOf(q) !== undefined);

describe('statuses for one message in one batch', () => {
  it('writes the job once for sent, delivered and read, reading nothing first', async () => {
    const job = await accepted('coalesce', r(1));
    const base = { wamid: job.wamid!, recipient: r(1) };
    const failed = await oneBatch(
      [{ ...base, status: 'read', timestamp: 1_800_000_060 }],
      [
        { ...base, status: 'sent', timestamp: 1_800_000_000 },
        { ...base, status: 'delivered', timestamp: 1_800_000_005, pricingCategory: 'marketing_lite' },
      ],
    );
    expect(failed).toEqual([]);
    // One conditional write; the counts follow from it through the table's stream.
    expect(jobWrites()).toHaveLength(1);
    expect(jobWrites()[0]!.command).toBe('UpdateItemCommand');
    expect(jobRequests('GetItemCommand')).toHaveLength(0);
    expect(await harness.job('coalesce', r(1))).toMatchObject({
      state: 'read',
      sentAt: '2027-01-15T08:00:00Z',
      deliveredAt: '2027-01-15T08:00:05Z',
      readAt: '2027-01-15T08:01:00Z',
      route: 'marketing_messages_api',
    });
    expect(await harness.figures('coalesce')).toMatchObject({ byState: { read: 1 }, uniqueAccepted: 1, uniqueDelivered: 1 });
  });

  it('treats a batch that changes nothing as duplicates: one refused write, no read', async () => {
    const job = await accepted('coalesce-dup', r(2));
    const base = { wamid: job.wamid!, recipient: r(2) };
    await oneBatch([{ ...base, status: 'read' }]);
    expect(
      await oneBatch([
        { ...base, status: 'delivered' },
        { ...base, status: 'read' },
        { ...base, status: 'sent' },
      ]),
    ).toEqual([]);
    expect(jobWrites()).toHaveLength(1);
    expect(jobRequests('GetItemCommand')).toHaveLength(0);
    expect(await harness.figures('coalesce-dup')).toMatchObject({ byState: { read: 1 }, uniqueDelivered: 1 });
  });

  it('hands back every status of a message whose one write failed, and applies the others', async () => {
    const throttled = await accepted('coalesce-fault', r(3));
    const neighbour = await accepted('coalesce-neighbour', r(4));
    failJobWritesFor = throttled.wamid;
    try {
      const failed = await oneBatch([
        { wamid: throttled.wamid!, recipient: r(3), status: 'sent' },
        { wamid: neighbour.wamid!, recipient: r(4), status: 'delivered' },
        { wamid: throttled.wamid!, recipient: r(3), status: 'delivered' },
      ]);
      expect(failed).toEqual(['delivered', 'sent']);
    } finally {
      failJobWritesFor = undefined;
    }
    expect(await harness.job('coalesce-fault', r(3))).toMatchObject({ state: 'accepted' });
    expect(await harness.job('coalesce-neighbour', r(4))).toMatchObject({ state: 'delivered' });
    expect(await harness.figures('coalesce-fault')).toMatchObject({ byState: { accepted: 1 }, uniqueDelivered: 0 });
  });

  it('applies a 131049 among other statuses once: one hit, one retry', async () => {
    const job = await accepted('coalesce-limit', r(5));
    const base = { wamid: job.wamid!, recipient: r(5) };
    const hitAt = Math.floor(Date.now() / 1000);
    expect(
      await oneBatch([
        { ...base, status: 'sent' },
        { ...base, status: 'failed', errorCode: 131049, timestamp: hitAt },
        { ...base, status: 'failed', errorCode: 131049, timestamp: hitAt },
      ]),
    ).toEqual([]);
    expect(await harness.job('coalesce-limit', r(5))).toMatchObject({ state: 'deferred', attempt: 2, lastErrorCode: 131049 });
    expect(await harness.user(r(5))).toMatchObject({ limitHits: 1 });
    expect(await harness.figures('coalesce-limit')).toMatchObject({
      byState: { deferred: 1 },
      perUserLimitHits: 1,
      retries: { scheduled: 1 },
    });
  });

  it('records an opt-out from a 131050 even when a delivered for the message comes with it', async () => {
    const job = await accepted('coalesce-optout', r(6));
    const base = { wamid: job.wamid!, recipient: r(6) };
    expect(
      await oneBatch([
        { ...base, status: 'failed', errorCode: 131050 },
        { ...base, status: 'delivered' },
      ]),
    ).toEqual([]);
    expect(await harness.user(r(6))).toMatchObject({ optedOut: true, optOutSource: '131050' });
    expect(await harness.job('coalesce-optout', r(6))).toMatchObject({ state: 'delivered' });
    expect(await harness.figures('coalesce-optout')).toMatchObject({ byState: { delivered: 1 }, uniqueDelivered: 1 });
  });
});
