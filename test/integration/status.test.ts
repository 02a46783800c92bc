import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import { aJob, anAcceptedJobItem, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { statusSteps } from '../helpers/status-steps.ts';
import { inboundPayload, postWebhook, statusesPayload, userPreferencePayload } from '../helpers/webhook-factories.ts';

/**
 * Status webhooks through the real webhook and status functions: the simulator accepts the
 * sends (it emits no webhooks here), the test posts Meta's webhooks itself, in any order.
 * The clock is injectable: `clockOffset` moves every function's "now".
 */
let clockOffset = 0;
const HOUR = 3_600_000;
const slow = recipientNumber(5_999);
const harness = await startSendHarness(baseScenario({ rules: [{ name: 'slow', recipients: [slow], latencyMs: 1_500 }] }), {
  now: () => Date.now() + clockOffset,
  // DynamoDB Local deletes expired items within seconds: records written while the clock is
  // moved back 17 months must not expire in real time before the test reads them.
  env: {
    USER_RETENTION_DAYS: '3650',
    // The local account, and the account and number of Meta's documented example payload below.
    WHATSAPP_ACCOUNTS: JSON.stringify({
      '100000000000000': ['100000000000001', '100000000000002', '100000000000003'],
      '102290129340398': ['106540352242922'],
    }),
  },
});
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;
const r = (n: number) => recipientNumber(5_000 + n);

const { sent, post, stateOf } = statusSteps(harness);

/** Lets the status queue drain, then returns the job as it is. */
async function settledJob(job: JobRecord): Promise<JobRecord> {
  await harness.quiet('StatusQueue');
  return (await harness.job(job.campaignId, job.recipient))!;
}

describe('status progression', () => {
  it('moves accepted → sent → delivered → read and records the route and times', async () => {
    const job = await sent('progress', r(1));
    const base = { wamid: job.wamid!, recipient: r(1) };
    await post([{ ...base, status: 'sent', timestamp: 1_800_000_000 }]);
    await stateOf(job, 'sent');
    await post([{ ...base, status: 'delivered', timestamp: 1_800_000_005, pricingCategory: 'marketing_lite' }]);
    await stateOf(job, 'delivered');
    await post([{ ...base, status: 'read', timestamp: 1_800_000_060, pricingCategory: 'marketing_lite' }]);
    const read = await stateOf(job, 'read');
    expect(read).toMatchObject({
      route: 'marketing_messages_api',
      sentAt: '2027-01-15T08:00:00Z',
      deliveredAt: '2027-01-15T08:00:05Z',
      readAt: '2027-01-15T08:01:00Z',
    });
    expect(await harness.figures('progress')).toMatchObject({
      byState: { read: 1 },
      uniqueAccepted: 1,
      uniqueDelivered: 1,
      deliveryRate: 1,
    });
  });

  it('records a Cloud API fallback route', async () => {
    const job = await sent('fallback', r(2));
    await post([{ wamid: job.wamid!, recipient: r(2), status: 'delivered', pricingCategory: 'marketing' }]);
    expect(await stateOf(job, 'delivered')).toMatchObject({ route: 'cloud_api_fallback' });
  });

  it('takes read without delivered as delivered and read', async () => {
    const job = await sent('read-only', r(3));
    await post([{ wamid: job.wamid!, recipient: r(3), status: 'read', timestamp: 1_800_000_100 }]);
    expect(await stateOf(job, 'read')).toMatchObject({ deliveredAt: '2027-01-15T08:01:40Z' });
    expect(await harness.figures('read-only')).toMatchObject({ uniqueDelivered: 1 });
  });

  it('ignores statuses that arrive late, out of order or twice', async () => {
    const job = await sent('out-of-order', r(4));
    const base = { wamid: job.wamid!, recipient: r(4) };
    await post([{ ...base, status: 'read' }]);
    await stateOf(job, 'read');
    await post([
      { ...base, status: 'delivered' },
      { ...base, status: 'sent' },
      { ...base, status: 'read' },
    ]);
    await post([{ ...base, status: 'delivered' }]);
    expect(await settledJob(job)).toMatchObject({ state: 'read' });
    expect(await harness.figures('out-of-order')).toMatchObject({ byState: { read: 1 }, uniqueDelivered: 1, deliveryRate: 1 });
  });

  it('keeps delivered when a failed status follows it', async () => {
    const job = await sent('delivered-then-failed', r(5));
    await post([{ wamid: job.wamid!, recipient: r(5), status: 'delivered' }]);
    await stateOf(job, 'delivered');
    await post([{ wamid: job.wamid!, recipient: r(5), status: 'failed', errorCode: 131026 }]);
    expect(await settledJob(job)).toMatchObject({ state: 'delivered' });
  });

  it('lets a delivered that arrives after a failed win (multi-device users)', async () => {
    const job = await sent('failed-then-delivered', r(6));
    await post([{ wamid: job.wamid!, recipient: r(6), status: 'failed', errorCode: 131026 }]);
    await stateOf(job, 'failed');
    expect((await harness.figures('failed-then-delivered')).failedByCode).toEqual({ 131026: 1 });
    await post([{ wamid: job.wamid!, recipient: r(6), status: 'delivered' }]);
    await stateOf(job, 'delivered');
    const figures = await harness.figures('failed-then-delivered');
    expect(figures.byState).toEqual({ delivered: 1 });
    expect(figures.failedByCode).toEqual({});
    // Delivered is not failed: the earlier failure's code and reason are gone from the job too.
    const delivered = await harness.job('failed-then-delivered', r(6));
    expect(delivered).toMatchObject({ state: 'delivered' });
    expect(delivered).not.toHaveProperty('lastErrorCode');
    expect(delivered).not.toHaveProperty('lastErrorReason');
  });

  it('retries a status whose wamid is not recorded yet, then applies it', async () => {
    // The simulator answers this send 1.5 s late: its webhook gets here before the wamid is stored.
    const early = new Promise<string>((resolve) => {
      const off = harness.sim.onCall((call) => {
        if (call.recipient === slow && call.wamid) {
          off();
          resolve(call.wamid);
        }
      });
    });
    await harness.enqueue([aJob({ campaignId: 'early-status', recipient: slow })]);
    const wamid = await early;
    await post([{ wamid, recipient: slow, status: 'delivered' }]);
    const jobs = await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'early-status' && j.state === 'delivered'), 30_000);
    expect(jobs.find((j) => j.campaignId === 'early-status')).toMatchObject({ wamid, state: 'delivered' });
    expect(harness.deployment.sources.status!.stats().failures).toBeGreaterThanOrEqual(1);
  });

  it('dead-letters a malformed status with its reason and still applies its neighbours', async () => {
    const job = await sent('bad-neighbour', r(7));
    const payload = statusesPayload([{ wamid: job.wamid!, recipient: r(7), status: 'delivered' }]) as {
      entry: Array<{ changes: Array<{ value: { statuses: unknown[] } }> }>;
    };
    payload.entry[0]!.changes[0]!.value.statuses.push({ status: 'delivered', timestamp: 'yesterday' });
    expect((await postWebhook(url, payload)).status).toBe(200);
    await stateOf(job, 'delivered');
    await expect.poll(async () => (await harness.queueCounts('StatusDeadLetterQueue')).visible, { timeout: 10_000 }).toBe(1);
    const [dead] = await harness.drain('StatusDeadLetterQueue');
    expect(dead!.MessageAttributes?.rejectionDetail?.StringValue).toMatch(/id|timestamp/);
  });
});

describe('131049 from a webhook', () => {
  it('records the hit on the user and schedules attempt 2 exactly 24 h after it', async () => {
    const job = await sent('async-limit', r(10), 3 * 86_400);
    const hitAt = Math.floor(Date.now() / 1000) - 60;
    await post([{ wamid: job.wamid!, recipient: r(10), status: 'failed', errorCode: 131049, timestamp: hitAt }]);
    const deferred = await stateOf(job, 'deferred');
    expect(deferred).toMatchObject({ attempt: 2, lastErrorCode: 131049, dueAt: new Date(hitAt * 1000 + 24 * HOUR).toISOString() });
    await expect
      .poll(async () => await harness.user(r(10)), { timeout: 10_000 })
      .toMatchObject({ lastLimitHitAt: new Date(hitAt * 1000).toISOString(), limitHits: 1 });
    // Counters are written once per batch, after all its events: wait for the batch to finish.
    await harness.quiet('StatusQueue');
    expect(await harness.figures('async-limit')).toMatchObject({
      byState: { deferred: 1 },
      perUserLimitHits: 1,
      retries: { scheduled: 1 },
    });
    // A duplicate of the same failure changes nothing.
    await post([{ wamid: job.wamid!, recipient: r(10), status: 'failed', errorCode: 131049, timestamp: hitAt }]);
    expect(await settledJob(job)).toMatchObject({ state: 'deferred', attempt: 2 });
    expect((await harness.user(r(10)))!.limitHits).toBe(1);
  });

  it('ends the job expired when its validity ends before the next allowed attempt', async () => {
    const job = await sent('async-limit-expiring', r(11), 43_200);
    const addMetric = vi.spyOn(harness.deployment.statusRuntime.metrics, 'addMetric');
    await post([{ wamid: job.wamid!, recipient: r(11), status: 'failed', errorCode: 131049 }]);
    expect(await stateOf(job, 'expired')).toMatchObject({ lastErrorCode: 131049 });
    // The hit that ends the job counts like one that schedules a retry: in the figures and the metric.
    expect(await harness.figures('async-limit-expiring')).toMatchObject({ byState: { expired: 1 }, perUserLimitHits: 1 });
    expect(addMetric.mock.calls.filter(([name]) => name === 'PerUserLimitHits').map(([, , n]) => n)).toEqual([1]);
    addMetric.mockRestore();
  });

  it("handles Meta's documented example payload verbatim", async () => {
    // Meta's documented example (docs/meta-api.md#webhooks-and-signatures), byte for byte; the job it refers to is seeded as accepted.
    const example = `{ "object": "whatsapp_business_account",
  "entry": [ { "id": "<WABA_ID>", "changes": [ { "field": "messages", "value": {
    "messaging_product": "whatsapp",
    "metadata": { "display_phone_number": "15550783881", "phone_number_id": "106540352242922" },
    "statuses": [ {
      "id": "wamid.…", "status": "failed", "timestamp": "1750030073",
      "recipient_id": "4915112345678",
      "biz_opaque_callback_data": "campaign=c1;job=42",
      "pricing": { "billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing_lite" },
      "errors": [ { "code": 131049,
        "title": "This message was not delivered to maintain healthy ecosystem engagement.",
        "message": "This message was not delivered to maintain healthy ecosystem engagement.",
        "error_data": { "details": "In order to maintain a healthy ecosystem engagement, the message failed to be delivered." },
        "href": "/documentation/business-messaging/whatsapp/support/error-codes" } ]
    } ] } } ] } ] }`.replace('<WABA_ID>', '102290129340398'); // the placeholder filled in with Meta's example account, served here
    const acceptedAt = Date.parse('2025-06-15T23:00:00Z');
    const item = anAcceptedJobItem({
      campaignId: 'c1',
      recipient: '+4915112345678',
      phoneNumberId: '106540352242922',
      wamid: 'wamid.…',
      acceptedAt,
      validityMs: 30 * 86_400_000,
    });
    await clients.documents.send(new PutCommand({ TableName: tableOf(harness.deployment.resources, 'JobsTable').name, Item: item }));
    const seeded = { ...item, jobKey: 'c1#+4915112345678' };
    clockOffset = acceptedAt + 3_600_000 - Date.now();
    try {
      expect((await postWebhook(url, example)).status).toBe(200);
      const job = await stateOf(seeded, 'deferred');
      expect(job).toMatchObject({ attempt: 2, dueAt: new Date(1_750_030_073_000 + 24 * HOUR).toISOString() });
      await expect
        .poll(async () => await harness.user('+4915112345678'), { timeout: 10_000 })
        .toMatchObject({ lastLimitHitAt: new Date(1_750_030_073_000).toISOString() });
    } finally {
      clockOffset = 0;
    }
  });
});

describe('opt-outs', () => {
  it('suppresses after an asynchronous 131050 and never sends to that user again', async () => {
    const job = await sent('async-optout', r(20));
    await post([{ wamid: job.wamid!, recipient: r(20), status: 'failed', errorCode: 131050 }]);
    await stateOf(job, 'suppressed');
    // The job is written first, the user right after it.
    await expect.poll(async () => await harness.user(r(20)), { timeout: 10_000 }).toMatchObject({ optedOut: true, optOutSource: '131050' });
    await harness.enqueue([aJob({ campaignId: 'async-optout-next', recipient: r(20) })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'async-optout-next' && j.state === 'suppressed'));
    expect(harness.sim.calls().filter((c) => c.recipient === r(20))).toHaveLength(1);
  });

  it('follows user_preferences stop and resume, ignoring an older event that arrives late', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await postWebhook(url, userPreferencePayload(r(21), 'stop', now))).status).toBe(200);
    await expect.poll(async () => (await harness.user(r(21)))?.optedOut, { timeout: 10_000 }).toBe(true);
    // A resume from before the stop, delivered late, must not undo it.
    await postWebhook(url, userPreferencePayload(r(21), 'resume', now - 600));
    await harness.quiet('StatusQueue');
    expect(await harness.user(r(21))).toMatchObject({ optedOut: true, optOutSource: 'user_preferences' });
    await harness.enqueue([aJob({ campaignId: 'pref-stopped', recipient: r(21) })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'pref-stopped' && j.state === 'suppressed'));

    await postWebhook(url, userPreferencePayload(r(21), 'resume', now + 1));
    await expect.poll(async () => (await harness.user(r(21)))?.optedOut, { timeout: 10_000 }).toBe(false);
    await sent('pref-resumed', r(21));
  });

  it('honours the configured quick-reply payload', async () => {
    const job = await sent('quick-reply', r(22));
    await postWebhook(
      url,
      inboundPayload(r(22), {
        type: 'button',
        context: { from: '15550783881', id: job.wamid },
        button: { payload: 'STOP_PROMOTIONS', text: 'Stop promotions' },
      }),
    );
    await expect.poll(async () => (await harness.user(r(22)))?.optOutSource, { timeout: 10_000 }).toBe('quick_reply');
  });

  it('honours a typed STOP keyword, whatever its case, and START to resume', async () => {
    await postWebhook(url, inboundPayload(r(23), { type: 'text', text: { body: '  stop ' } }));
    await expect.poll(async () => (await harness.user(r(23)))?.optOutSource, { timeout: 10_000 }).toBe('keyword');
    expect((await harness.user(r(23)))!.optedOut).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await postWebhook(url, inboundPayload(r(23), { type: 'text', text: { body: 'START' } }));
    await expect.poll(async () => (await harness.user(r(23)))?.optedOut, { timeout: 10_000 }).toBe(false);
  });

  it('ignores other replies', async () => {
    await postWebhook(url, inboundPayload(r(24), { type: 'text', text: { body: 'please stop by tomorrow' } }));
    await harness.quiet('StatusQueue');
    expect(await harness.user(r(24))).toBeUndefined();
  });
});

describe('validity', () => {
  it('counts a job with no delivery by its deadline as dropped, and leaves delivered ones alone', async () => {
    const open = await sent('validity', r(30), 43_200);
    const delivered = await sent('validity', r(31), 43_200);
    await post([{ wamid: delivered.wamid!, recipient: r(31), status: 'delivered' }]);
    await stateOf(delivered, 'delivered');
    expect((await harness.deployment.sweep()).dropped).toBe(0);
    clockOffset = 13 * HOUR;
    try {
      await expect.poll(async () => (await harness.deployment.sweep()).dropped, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    } finally {
      clockOffset = 0;
    }
    expect(await harness.job('validity', open.recipient)).toMatchObject({ state: 'dropped' });
    expect(await harness.job('validity', r(31))).toMatchObject({ state: 'delivered' });
    expect(await harness.figures('validity')).toMatchObject({
      byState: { dropped: 1, delivered: 1 },
      uniqueAccepted: 2,
      uniqueDelivered: 1,
      deliveryRate: 0.5,
    });
  });
});
