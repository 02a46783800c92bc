import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { handleWebhookRequest } from '../../lib/webhook/handle-request.ts';
import { signatureFor } from '../../lib/webhook/signature.ts';
import { anAcceptedJobItem, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import {
  aWebhookRuntime,
  functionUrlPost,
  HANDLER_APP_SECRET,
  postWebhook,
  type StatusFields,
  statusesPayload,
} from '../helpers/webhook-factories.ts';

/**
 * Progress statuses whose callback data names their job are written by the webhook function
 * itself, one conditional write per message; everything else still goes to the status queue.
 * The status function is not polled here, so what the webhook queued can be read back.
 */
const harness = await startSendHarness(baseScenario(), { startStatusPoller: false });
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;
const jobsTable = tableOf(harness.deployment.resources, 'JobsTable').name;

let seeded = 0;
/** An accepted job item, written directly, and the callback data its send would have carried. */
async function acceptedJob(campaignId: string, wamid = `wamid.progress-${++seeded}`) {
  const recipient = recipientNumber(9_100 + ++seeded);
  await clients.documents.send(
    new PutCommand({
      TableName: jobsTable,
      Item: anAcceptedJobItem({ campaignId, recipient, wamid, acceptedAt: Date.now(), validityMs: 86_400_000 }),
    }),
  );
  const status = (state: StatusFields['status'], more: Partial<StatusFields> = {}): StatusFields => ({
    wamid,
    recipient,
    status: state,
    callbackData: `wms1#${campaignId}#sqs:seed#`,
    ...more,
  });
  const item = async () =>
    (await clients.documents.send(new GetCommand({ TableName: jobsTable, Key: { recipient, campaignId }, ConsistentRead: true }))).Item;
  return { recipient, wamid, status, item };
}

const queuedStatuses = async () =>
  (await harness.drain('StatusQueue')).map((message) => {
    const { event } = JSON.parse(message.Body!) as { event: { status: { id: string; status: string } } };
    return `${event.status.id} ${event.status.status}`;
  });

describe('progress statuses that name their job', () => {
  it('are written to the job by the webhook, and nothing is queued', async () => {
    const job = await acceptedJob('progress-written');
    expect((await postWebhook(url, statusesPayload([job.status('delivered', { pricingCategory: 'marketing_lite' })]))).status).toBe(200);
    expect(await job.item()).toMatchObject({ state: 'delivered', route: 'marketing_messages_api' });
    expect(await queuedStatuses()).toEqual([]);
  });

  it("writes one message's sent, delivered and read of one POST as one change", async () => {
    const job = await acceptedJob('progress-combined');
    await postWebhook(url, statusesPayload([job.status('sent'), job.status('read'), job.status('delivered')]));
    const item = await job.item();
    expect(item).toMatchObject({ state: 'read' });
    expect(item?.deliveredAt).toBeDefined();
    expect(await queuedStatuses()).toEqual([]);
  });

  it('leaves a duplicate or a late status where it is: nothing written, nothing queued', async () => {
    const job = await acceptedJob('progress-duplicate');
    await postWebhook(url, statusesPayload([job.status('read')]));
    const afterRead = await job.item();
    await postWebhook(url, statusesPayload([job.status('delivered')]));
    await postWebhook(url, statusesPayload([job.status('read')]));
    expect(await job.item()).toEqual(afterRead);
    expect(await queuedStatuses()).toEqual([]);
  });

  it('queues a status whose named job does not hold its wamid (an alias, an unknown job, a status before the send wrote it)', async () => {
    const job = await acceptedJob('progress-other-wamid');
    const before = await job.item();
    await postWebhook(url, statusesPayload([job.status('delivered', { wamid: 'wamid.not-this-job' })]));
    expect(await queuedStatuses()).toEqual(['wamid.not-this-job delivered']);
    expect(await job.item()).toEqual(before);
  });

  it('queues every status of a message that has a failed one, in their order, and writes none', async () => {
    const job = await acceptedJob('progress-with-failure');
    const before = await job.item();
    await postWebhook(url, statusesPayload([job.status('sent'), job.status('failed', { errorCode: 131049 })]));
    expect(await queuedStatuses()).toEqual([`${job.wamid} sent`, `${job.wamid} failed`]);
    expect(await job.item()).toEqual(before);
  });

  it('queues a status without callback data, and writes the named one beside it', async () => {
    const named = await acceptedJob('progress-beside');
    const unnamed = await acceptedJob('progress-unnamed');
    await postWebhook(url, statusesPayload([named.status('delivered'), unnamed.status('delivered', { callbackData: undefined })]));
    expect(await queuedStatuses()).toEqual([`${unnamed.wamid} delivered`]);
    expect(await named.item()).toMatchObject({ state: 'delivered' });
    expect(await unnamed.item()).toMatchObject({ state: 'accepted' });
  });
});

/** The handler called directly with a real job store, for what a URL cannot show: its counts and a failed write. */
describe('what the progress writes count, and a write that fails', () => {
  const request = (statuses: StatusFields[]): LambdaFunctionURLEvent => {
    const body = JSON.stringify(statusesPayload(statuses));
    return functionUrlPost(body, signatureFor(body, HANDLER_APP_SECRET));
  };
  const runtime = (tableName: string) => {
    const counted: Array<Record<string, number>> = [];
    const queued: string[] = [];
    const deps = aWebhookRuntime({
      statusQueue: {
        enqueue: async (envelopes) => {
          for (const { event } of envelopes) queued.push((event as { status: { id: string } }).status.id);
        },
      },
      jobs: createJobStore(clients.documents, { tableName, retentionDays: 35 }),
      countProgress: (counts) => void counted.push(Object.fromEntries(counts)),
    });
    return { deps, counted, queued };
  };

  it('counts nothing for a status it writes: a normal webhook writes no EMF line', async () => {
    const job = await acceptedJob('progress-count-written');
    const { deps, counted, queued } = runtime(jobsTable);
    expect(await handleWebhookRequest(request([job.status('delivered')]), deps)).toMatchObject({ statusCode: 200 });
    expect(await job.item()).toMatchObject({ state: 'delivered' });
    expect({ counted, queued }).toEqual({ counted: [], queued: [] });
  });

  it('counts a duplicate and a status of an earlier attempt', async () => {
    const job = await acceptedJob('progress-count-noop');
    const { deps, counted } = runtime(jobsTable);
    await handleWebhookRequest(request([job.status('read')]), deps);
    await handleWebhookRequest(request([job.status('delivered'), job.status('read')]), deps);
    expect(counted).toEqual([{ DuplicateOrLateStatuses: 2 }]);
  });

  it('queues the statuses and counts them when the write fails, answering 200: nothing is lost', async () => {
    const job = await acceptedJob('progress-write-fails');
    const { deps, counted, queued } = runtime('no-such-table');
    expect(await handleWebhookRequest(request([job.status('sent'), job.status('delivered')]), deps)).toMatchObject({ statusCode: 200 });
    expect(queued).toEqual([job.wamid, job.wamid]);
    expect(counted).toEqual([{ ProgressQueuedAfterWriteError: 2 }]);
    expect(await job.item()).toMatchObject({ state: 'accepted' });
  });

  it('answers an error when neither the write nor the queue takes the statuses, so Meta posts them again', async () => {
    const job = await acceptedJob('progress-nothing-takes');
    const { deps } = runtime('no-such-table');
    deps.statusQueue = {
      enqueue: async () => {
        throw new Error('queue unavailable');
      },
    };
    await expect(handleWebhookRequest(request([job.status('delivered')]), deps)).rejects.toThrow('queue unavailable');
    expect(await job.item()).toMatchObject({ state: 'accepted' });
  });
});
