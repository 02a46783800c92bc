import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../lib/adapters/job-store.ts';
import { SWEEP_SETTLE_MS } from '../../lib/status/sweep-dropped.ts';
import { tableOf } from '../../local/stack/index.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * The dropped sweep reads each `byOpenDeadline` entry once, from a watermark, and drops the jobs
 * still accepted or sent. The clock is injectable; a fault hook fails chosen sweep writes.
 */
const HOUR = 3_600_000;
let clockOffset = 0;
let failDropsAfter: number | undefined;
const requests: Array<{ command: string; input: Record<string, unknown> }> = [];
const harness = await startSendHarness(baseScenario(), {
  now: () => Date.now() + clockOffset,
  injectFault(service, command, input) {
    if (service !== 'dynamodb') return undefined;
    requests.push({ command, input });
    const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
    if (failDropsAfter !== undefined && command === 'UpdateItemCommand' && values?.[':state'] === 'dropped' && failDropsAfter-- <= 0) {
      return Object.assign(new Error('internal server error'), { name: 'InternalServerError', $fault: 'server', $retryable: undefined });
    }
    return undefined;
  },
});
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;
const r = (n: number) => recipientNumber(9_000 + n);

/** Sends jobs for real. Each test's validity ends after the previous test's sweep, whose watermark the clock jumps moved ahead. */
async function accepted(campaignId: string, recipients: string[], validitySeconds: number): Promise<JobRecord[]> {
  await harness.enqueue(recipients.map((recipient) => aJob({ campaignId, recipient, validitySeconds })));
  const jobs = await harness.waitForJobs((all) => all.filter((j) => j.campaignId === campaignId && j.state === 'accepted').length === recipients.length);
  return jobs.filter((j) => j.campaignId === campaignId);
}

async function deliver(job: JobRecord, status: 'sent' | 'delivered'): Promise<void> {
  expect((await postWebhook(url, statusesPayload([{ wamid: job.wamid!, recipient: job.recipient, status }]))).status).toBe(200);
  await harness.waitForJobs((all) => all.some((j) => j.jobKey === job.jobKey && j.state === status));
}

async function sweptUntil(): Promise<string | undefined> {
  const table = tableOf(harness.deployment.resources, 'CampaignsTable').name;
  const result = await clients.documents.send(new GetCommand({ TableName: table, Key: { campaignId: 'sweep#dropped', item: 'watermark' }, ConsistentRead: true }));
  return result.Item?.sweptUntil as string | undefined;
}

const jobWrites = () => requests.filter((q) => q.command === 'UpdateItemCommand' && String(q.input.TableName).endsWith('-jobs'));

describe('dropped sweep', () => {
  afterEach(() => {
    clockOffset = 0;
  });

  it('drops the undelivered jobs past their validity once, never the delivered ones', async () => {
    const [delivered, open, sent] = await accepted('sweep', [r(1), r(2), r(3)], 12 * 3_600);
    await deliver(delivered!, 'delivered');
    await deliver(sent!, 'sent');
    expect(await harness.deployment.sweep()).toEqual({ examined: 0, dropped: 0 });
    const first = await sweptUntil();
    expect(first).toBeDefined();

    clockOffset = 12 * HOUR + SWEEP_SETTLE_MS + 60_000;
    requests.length = 0;
    expect(await harness.deployment.sweep()).toEqual({ examined: 3, dropped: 2 });
    expect(jobWrites()).toHaveLength(2);
    expect(Date.parse((await sweptUntil())!)).toBeGreaterThan(Date.parse(first!));
    expect(await harness.job('sweep', open!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep', sent!.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('sweep', delivered!.recipient)).toMatchObject({ state: 'delivered' });
    expect(await harness.figures('sweep')).toMatchObject({ byState: { dropped: 2, delivered: 1 }, uniqueAccepted: 3, uniqueDelivered: 1 });

    // The next run starts where this one ended: nothing is read or written again.
    requests.length = 0;
    expect(await harness.deployment.sweep()).toEqual({ examined: 0, dropped: 0 });
    expect(requests.filter((q) => q.command === 'BatchGetItemCommand')).toHaveLength(0);
  });

  it('resumes a run that failed half-way without moving its watermark, and counts each drop once', async () => {
    await accepted('sweep-resume', [r(10), r(11), r(12)], 24 * 3_600);
    const before = await sweptUntil();
    clockOffset = 36 * HOUR;
    failDropsAfter = 1;
    try {
      await expect(harness.deployment.sweep()).rejects.toThrow();
    } finally {
      failDropsAfter = undefined;
    }
    expect(await sweptUntil()).toBe(before);
    const partly = (await harness.allJobs()).filter((j) => j.campaignId === 'sweep-resume' && j.state === 'dropped');
    expect(partly).toHaveLength(1);

    requests.length = 0;
    expect(await harness.deployment.sweep()).toMatchObject({ dropped: 2 });
    expect(jobWrites()).toHaveLength(2);
    expect(Date.parse((await sweptUntil())!)).toBeGreaterThan(Date.parse(before!));
    expect(await harness.figures('sweep-resume')).toMatchObject({ byState: { dropped: 3 } });
  });

  it('lets a delivered that comes after the deadline win over dropped', async () => {
    const [late] = await accepted('sweep-late', [r(20)], 48 * 3_600);
    clockOffset = 60 * HOUR;
    expect((await harness.deployment.sweep()).dropped).toBe(1);
    clockOffset = 0;
    await deliver(late!, 'delivered');
    expect(await harness.figures('sweep-late')).toMatchObject({ byState: { delivered: 1 }, uniqueDelivered: 1 });
  });
});
