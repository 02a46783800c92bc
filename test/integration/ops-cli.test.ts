import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { JOB_STATES } from '../../lib/domain/job-state.ts';
import { maskPhoneNumber } from '../../lib/domain/phone.ts';
import type { ValidJob } from '../../lib/domain/validate-job.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';
import { runTool } from '../helpers/run-tool.ts';

/**
 * `npm run ops` against the real tables and queues of a fresh stage: each command's effect, and
 * each refusal leaving everything as it was. The campaign, erase and resend commands are the
 * existing tools' (tested in their own files); here, that ops reaches them.
 */
const { endpoints, clients } = useLocalStack();
const resources = await createTestResources();
const controlTable = resources.table('ControlTable').name;
const jobsTable = resources.table('JobsTable').name;
const queueUrl = (logicalId: string) => resources.queue(logicalId).url;
const env = {
  ...process.env,
  CONTROL_TABLE: controlTable,
  JOBS_TABLE: jobsTable,
  USERS_TABLE: resources.table('UsersTable').name,
  CAMPAIGNS_TABLE: resources.table('CampaignsTable').name,
  SEND_QUEUE_URL: queueUrl('SendQueue'),
  DEFERRED_QUEUE_URL: queueUrl('DeferredQueue'),
  STATUS_QUEUE_URL: queueUrl('StatusQueue'),
  FEED_QUEUE_URL: queueUrl('FeedQueue'),
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  AWS_ENDPOINT_URL_SQS: endpoints.sqs,
};
const ops = (...args: string[]) => runTool('ops.ts', args, env);
const control = async (key: string) =>
  (await clients.documents.send(new GetCommand({ TableName: controlTable, Key: { key }, ConsistentRead: true }))).Item;
/** The bodies on a queue now, left there (received with no visibility timeout). */
const bodiesOn = async (url: string) =>
  (
    (await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }))).Messages ?? []
  ).map((m) => m.Body);
const putControl = (item: Record<string, unknown>) => clients.documents.send(new PutCommand({ TableName: controlTable, Item: item }));

describe('npm run ops -- breaker', () => {
  it('lists the open breakers and paused campaigns, and shows one', async () => {
    await putControl({
      key: 'phone#200000000000001',
      state: 'open',
      reasonCode: 190,
      reason: '190: token expired',
      nextProbeAt: Date.now() + 60_000,
    });
    await putControl({ key: 'phone#200000000000002', state: 'closed' });
    await putControl({ key: 'campaign#ops-paused', status: 'PAUSED', pausedBy: 'template_error', reason: '132015: paused' });
    const listed = await ops('breaker', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('phone number 200000000000001: open');
    expect(listed.stdout).toContain('reason: 190: token expired');
    expect(listed.stdout).toContain('campaign ops-paused: paused by template_error');
    expect(listed.stdout).not.toContain('200000000000002');
    const shown = await ops('breaker', 'show', '200000000000001');
    expect(shown).toMatchObject({ code: 0 });
    expect(shown.stdout).toContain('next probe:');
  });

  it('closes an open breaker as the console edit does, and refuses one that is not open, changing nothing', async () => {
    await putControl({ key: 'phone#200000000000003', state: 'open', reasonCode: 131042, nextProbeAt: 1, probeIntervalSeconds: 240 });
    const closed = await ops('breaker', 'close', '200000000000003');
    expect(closed).toMatchObject({ code: 0 });
    expect(await control('phone#200000000000003')).toMatchObject({ state: 'closed', closedBy: 'operator', reasonCode: 131042 });
    expect(await control('phone#200000000000003')).not.toHaveProperty('nextProbeAt');
    const before = await control('phone#200000000000003');
    const again = await ops('breaker', 'close', '200000000000003');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not open: nothing changed');
    expect(await control('phone#200000000000003')).toEqual(before);
    const missing = await ops('breaker', 'close', '200000000000099');
    expect(missing.code).toBe(1);
    expect(await control('phone#200000000000099')).toBeUndefined();
  });

  it('refuses bad input with the usage: a phone number id that is not one, a missing or extra argument', async () => {
    for (const args of [
      ['breaker', 'close', '+4915112345678'],
      ['breaker', 'close'],
      ['breaker', 'list', 'extra'],
      ['breaker', 'open', '1234567'],
    ]) {
      const run = await ops(...args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toContain('usage: ops');
    }
  });
});

describe('npm run ops -- sending (the emergency stop)', () => {
  it('stops all sending with a reason, refuses to stop twice, shows it, and starts again once', async () => {
    const noReason = await ops('sending', 'stop');
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');
    expect(await control('fleet')).toBeUndefined();

    expect((await ops('sending', 'start')).code).toBe(1);
    expect(await control('fleet')).toBeUndefined();

    expect((await ops('sending', 'stop', '--reason', 'wrong template going out')).code).toBe(0);
    expect(await control('fleet')).toMatchObject({ state: 'stopped', reason: 'wrong template going out', changedBy: 'operator' });
    const stoppedItem = await control('fleet');
    expect((await ops('sending', 'stop', '--reason', 'again')).code).toBe(1);
    expect(await control('fleet')).toEqual(stoppedItem);
    expect((await ops('sending', 'show')).stdout).toContain('all sending stopped since');

    expect((await ops('sending', 'start')).code).toBe(0);
    expect(await control('fleet')).toMatchObject({ state: 'running' });
    expect((await ops('sending', 'show')).stdout).toContain('sending runs');
    expect((await ops('sending', 'start')).code).toBe(1);
  });

  it('names the missing configuration rather than guessing a table', async () => {
    const run = await runTool('ops.ts', ['sending', 'show'], { ...env, CONTROL_TABLE: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('set CONTROL_TABLE');
  });
});

describe('npm run ops -- unknown list', () => {
  it("lists a campaign's unknown jobs from the index, masked, with what a re-send would do", async () => {
    const store = createJobStore(clients.documents, { tableName: jobsTable, retentionDays: 1 });
    const recipient = recipientNumber(9_100);
    const now = Date.now();
    const job = { ...aJob({ campaignId: 'ops-unknown', recipient }), recipientCountry: 'DE' } as unknown as ValidJob;
    const token = 'sqs:ops-unknown';
    await store.claim({ job, token, now, createdAt: now, validUntil: now + 86_400_000, state: JOB_STATES.sending });
    await store.markUnknown(`ops-unknown#${recipient}`, token, now, 'timeout');
    const listed = await ops('unknown', 'list', 'ops-unknown', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      campaignId: 'ops-unknown',
      jobs: [{ recipient: maskPhoneNumber(recipient), verdict: 'too_recent' }],
    });
    expect(listed.stdout).not.toContain(recipient);
    expect(JSON.parse((await ops('unknown', 'list', 'ops-unknown', '--json', '--after-seconds', '0')).stdout).jobs[0].verdict).toBe(
      'resend',
    );
    expect((await ops('unknown', 'list', 'ops-unknown', '--after-seconds', 'soon')).code).toBe(2);
  });

  it('re-sends them through resend-unknown: a dry run lists what would go and changes nothing', async () => {
    const recipient = recipientNumber(9_100);
    const run = await ops('unknown', 'resend', 'ops-unknown', '--after-seconds', '0', '--dry-run');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('would re-send: 1');
    const store = createJobStore(clients.documents, { tableName: jobsTable, retentionDays: 1 });
    expect(await store.get(`ops-unknown#${recipient}`)).toMatchObject({ state: 'unknown' });
    expect(await bodiesOn(queueUrl('SendQueue'))).toEqual([]);
  });
});

describe('npm run ops -- dlq redrive', () => {
  const send = (url: string, body: string, reason?: string) =>
    clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: reason ? { rejectionReason: { DataType: 'String', StringValue: reason } } : {},
      }),
    );
  const visible = async (url: string) =>
    Number(
      (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes
        ?.ApproximateNumberOfMessages,
    );

  it('moves dead-lettered jobs back to the send queue and leaves the rejected ones, unless asked', async () => {
    const [sendUrl, dlqUrl] = [queueUrl('SendQueue'), queueUrl('SendDeadLetterQueue')];
    await send(dlqUrl, '{"job":"retry me"}');
    await send(dlqUrl, '{"job":"bad"}', 'invalid_job');
    const run = await ops('dlq', 'redrive', 'send', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ queue: 'send', moved: 1, left: 1, leftByReason: { invalid_job: 1 } });
    expect(await bodiesOn(sendUrl)).toEqual(['{"job":"retry me"}']);
    // The rejected one is visible again at once, for the console.
    expect(await visible(dlqUrl)).toBe(1);

    const all = await ops('dlq', 'redrive', 'send', '--include-rejected', '--json');
    expect(JSON.parse(all.stdout)).toMatchObject({ moved: 1, left: 0 });
    expect(await visible(dlqUrl)).toBe(0);
  });

  it('refuses a queue it does not know and the counts DLQ, moving nothing', async () => {
    const dlqUrl = queueUrl('StatusDeadLetterQueue');
    await send(dlqUrl, '{"event":"kept"}');
    for (const queue of ['sends', 'counts']) {
      const run = await ops('dlq', 'redrive', queue);
      expect(run.code).toBe(2);
    }
    expect((await ops('dlq', 'redrive', 'counts')).stderr).toContain('npm run recount');
    expect((await ops('dlq', 'redrive', 'status', '--max', '0')).code).toBe(2);
    expect(await visible(dlqUrl)).toBe(1);
  });
});

describe('npm run ops -- the existing tools', () => {
  it('reaches the campaign CLI, refusing an unknown campaign with its exit code', async () => {
    const run = await ops('campaign', 'pause', 'no-such-campaign');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no-such-campaign');
  });

  it('reaches erase, which erases a number and says so masked', async () => {
    const store = createJobStore(clients.documents, { tableName: jobsTable, retentionDays: 1 });
    const recipient = recipientNumber(9_200);
    const now = Date.now();
    const job = { ...aJob({ campaignId: 'ops-erase', recipient }), recipientCountry: 'DE' } as unknown as ValidJob;
    await store.claim({ job, token: 'sqs:ops-erase', now, createdAt: now, validUntil: now + 86_400_000, state: JOB_STATES.sending });
    const run = await ops('erase', recipient);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`erased ${maskPhoneNumber(recipient)}`);
    expect(run.stdout).not.toContain(recipient);
    expect(await store.get(`ops-erase#${recipient}`)).toBeUndefined();
  });

  it('reaches erase, which refuses a number that is not one', async () => {
    const run = await ops('erase', 'not-a-number');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('not a phone number');
  });

  it('refuses an option that does not apply to the command', async () => {
    const run = await ops('sending', 'start', '--reason', 'x');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--reason does not apply to sending start');
  });
});
