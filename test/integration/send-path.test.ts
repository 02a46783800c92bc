import { RequestCounter } from 'lambda-local-kit';
import { describe, expect, it, vi } from 'vitest';
import { JOB_STATES } from '../../lib/domain/job-state.ts';
import { dispatchBodyFromItem } from '../../lib/jobs/dispatch-body.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, PHONE_NUMBER_ID, startSendHarness } from '../helpers/send-harness.ts';

const r = (n: number) => recipientNumber(n);

/** Every SendMessage the functions make: fauxqs would accept a delay over 900 s that AWS rejects. */
const requests = new RequestCounter();
const sent: Array<{ QueueUrl?: string; DelaySeconds?: number }> = [];
requests.observers.push((key, input) => {
  if (key === 'sqs.SendMessageCommand') sent.push(input);
  if (key === 'sqs.SendMessageBatchCommand')
    for (const entry of input.Entries as object[]) sent.push({ ...entry, QueueUrl: input.QueueUrl as string });
});

const harness = await startSendHarness(
  baseScenario({
    rules: [
      { name: 'permanent', recipients: [r(101)], error: 131026 },
      { name: 'transient-once', recipients: [r(102)], times: 1, error: 131000 },
      { name: 'limit', recipients: [r(103), r(110)], error: 131049 },
      { name: 'opt-out', recipients: [r(104)], error: 131050 },
      { name: 'throttled-twice', recipients: [r(107)], times: 2, error: 130429 },
      { name: 'slow-maintenance', recipients: [r(108)], error: 131057 },
      { name: 'hangs', recipients: [r(300)], timeout: true },
      { name: 'resets', recipients: [r(301)], reset: true },
    ],
  }),
  {
    resourceOverrides: { SendQueue: { VisibilityTimeout: 3, RedrivePolicy: { maxReceiveCount: 3 } } },
    functionTimeoutMs: 2_500,
    requestCounter: requests,
    env: { META_REQUEST_TIMEOUT_MS: '1000', META_RETRY_WAITS: JSON.stringify({ 131000: 1, 130429: 1 }) },
  },
);

const _stateOf = async (campaignId: string, recipient: string) => (await harness.job(campaignId, recipient))?.state;
const settled =
  (campaignId: string, count: number, states: string[] = [JOB_STATES.accepted]) =>
  (jobs: Array<{ campaignId: string; state: string }>) =>
    jobs.filter((j) => j.campaignId === campaignId && states.includes(j.state)).length === count;

describe('send path through the real handler, fauxqs, DynamoDB Local and the simulator', () => {
  it('sends every job exactly once and records its wamid', async () => {
    const recipients = Array.from({ length: 25 }, (_, i) => r(i));
    await harness.enqueue(recipients.map((recipient) => aJob({ campaignId: 'happy', recipient, callbackData: 'campaign=happy' })));
    const jobs = (await harness.waitForJobs(settled('happy', 25))).filter((j) => j.campaignId === 'happy');

    for (const recipient of recipients) {
      const calls = harness.sim.acceptedFor(recipient);
      expect(calls).toHaveLength(1);
      const job = jobs.find((j) => j.recipient === recipient)!;
      expect(job).toMatchObject({
        state: 'accepted',
        wamid: calls[0]!.wamid,
        messageStatus: 'accepted',
        attempt: 1,
        apiCalls: 1,
        phoneNumberId: PHONE_NUMBER_ID,
      });
      expect(job.acceptedAt).toBeDefined();
      expect(Date.parse(job.validUntil) - Date.parse(job.createdAt)).toBe(2_592_000_000);
    }
    const body = harness.sim.acceptedFor(r(0))[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      messaging_product: 'whatsapp',
      to: r(0),
      type: 'template',
      product_policy: 'STRICT',
      // The dispatch reference first, then the job's own data (lib/domain/callback-data.ts).
      biz_opaque_callback_data: expect.stringMatching(/^wms1#happy#[^#]+#campaign=happy$/),
    });
    expect(await harness.figures('happy')).toMatchObject({ byState: { accepted: 25 }, uniqueAccepted: 25, retries: { scheduled: 0 } });
  });

  it('fails a permanent error without retrying', async () => {
    await harness.enqueue([aJob({ campaignId: 'errors-permanent', recipient: r(101) })]);
    await harness.waitForJobs(settled('errors-permanent', 1, ['failed']));
    expect(await harness.job('errors-permanent', r(101))).toMatchObject({ state: 'failed', lastErrorCode: 131026, apiCalls: 1 });
    expect(harness.sim.calls().filter((c) => c.recipient === r(101))).toHaveLength(1);
  });

  it('retries a transient error after the classified wait and then sends', async () => {
    const before = Date.now();
    await harness.enqueue([aJob({ campaignId: 'errors-transient', recipient: r(102) })]);
    const [job] = (await harness.waitForJobs(settled('errors-transient', 1))).filter((j) => j.campaignId === 'errors-transient');
    expect(job).toMatchObject({ state: 'accepted', retries: 1, apiCalls: 2 });
    const calls = harness.sim.calls().filter((c) => c.recipient === r(102));
    expect(calls.map((c) => c.outcome)).toEqual([131000, 'accepted']);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - before).toBeGreaterThanOrEqual(1_000);
  });

  it('slows down on 130429 and retries instead of failing', async () => {
    await harness.enqueue([aJob({ campaignId: 'errors-throttled', recipient: r(107) })]);
    await harness.waitForJobs(settled('errors-throttled', 1));
    expect(await harness.job('errors-throttled', r(107))).toMatchObject({ state: 'accepted', retries: 0, apiCalls: 3 });
    expect(await harness.figures('errors-throttled')).toMatchObject({
      byState: { accepted: 1 },
      uniqueAccepted: 1,
      retries: { scheduled: 2, acceptedOnRetry: 0 },
    });
  });

  it('keeps a job whose wait is long on the queue with its due time, within SQS limits', async () => {
    const before = Date.now();
    await harness.enqueue([aJob({ campaignId: 'errors-maintenance', recipient: r(108) })]);
    await harness.waitForJobs(settled('errors-maintenance', 1, ['retry_wait']));
    const job = await harness.job('errors-maintenance', r(108));
    expect(job).toMatchObject({ state: 'retry_wait', lastErrorCode: 131057, retries: 1 });
    const waitMs = Date.parse(job!.dueAt!) - before;
    expect(waitMs).toBeGreaterThanOrEqual(60_000);
    expect(waitMs).toBeLessThan(60_000 * 1.2 + 5_000);
    expect((await harness.queueCounts('SendQueue')).delayed).toBeGreaterThanOrEqual(1);
  });

  it('defers a 131049 by 24 hours through the deferred queue as the next attempt', async () => {
    const before = Date.now();
    await harness.enqueue([aJob({ campaignId: 'errors-limit', recipient: r(103), validitySeconds: 3 * 86_400 })]);
    await harness.waitForJobs(settled('errors-limit', 1, ['deferred']));
    const job = await harness.job('errors-limit', r(103));
    expect(job).toMatchObject({ state: 'deferred', attempt: 2, lastErrorCode: 131049 });
    expect(Date.parse(job!.dueAt!) - before).toBeGreaterThanOrEqual(86_400_000);
    // The release function parked it: on the deferred queue, hidden, not back on the send queue.
    await expect.poll(async () => (await harness.queueCounts('DeferredQueue')).inFlight, { timeout: 10_000 }).toBe(1);
    expect(harness.deployment.sources.release!.stats().invocations).toBeGreaterThanOrEqual(1);
  });

  it('never asks SQS for a delay over 900 s: longer waits went through the deferred queue', () => {
    expect(sent.length).toBeGreaterThan(3);
    for (const input of sent) expect(input.DelaySeconds ?? 0).toBeLessThanOrEqual(900);
    expect(sent.some((input) => input.QueueUrl?.endsWith('-deferred'))).toBe(true);
  });

  it('expires instead of deferring when the validity ends before the next allowed attempt', async () => {
    const addMetric = vi.spyOn(harness.deployment.sendRuntime.metrics, 'addMetric');
    await harness.enqueue([aJob({ campaignId: 'errors-limit-expiring', recipient: r(110), validitySeconds: 43_200 })]);
    await harness.waitForJobs(settled('errors-limit-expiring', 1, ['expired']));
    expect(await harness.job('errors-limit-expiring', r(110))).toMatchObject({ state: 'expired', lastErrorCode: 131049 });
    // The hit that ends the job counts like one that defers it: in the figures and the metric.
    expect(await harness.figures('errors-limit-expiring')).toMatchObject({ byState: { expired: 1 }, perUserLimitHits: 1 });
    await expect.poll(() => addMetric.mock.calls.filter(([name]) => name === 'PerUserLimitHits').length).toBe(1);
    addMetric.mockRestore();
  });

  it("records the 131049 on the user, and defers that user's next job without sending it", async () => {
    const user = await harness.user(r(103));
    expect(user).toMatchObject({ limitHits: 1, lastLimitHitAt: expect.any(String), expiresAt: expect.any(Number) });
    const callsBefore = harness.sim.calls().filter((c) => c.recipient === r(103)).length;
    await harness.enqueue([aJob({ campaignId: 'after-limit', recipient: r(103), validitySeconds: 3 * 86_400 })]);
    await harness.waitForJobs(settled('after-limit', 1, ['deferred']));
    const job = await harness.job('after-limit', r(103));
    expect(Date.parse(job!.dueAt!)).toBe(Date.parse(user!.lastLimitHitAt!) + 86_400_000);
    expect(job).toMatchObject({ attempt: 1, apiCalls: 0 });
    expect(harness.sim.calls().filter((c) => c.recipient === r(103))).toHaveLength(callsBefore);
    expect(await harness.figures('after-limit')).toMatchObject({ byState: { deferred: 1 }, deferredBeforeSending: 1 });
  });

  it("defers a waiting job again, to 24 h after the user's latest 131049, when it comes back before that", async () => {
    const first = await harness.job('after-limit', r(103));
    // A later 131049 for the same user (another campaign's send): the waiting job's dueAt stays as planned…
    const laterHit = Date.parse((await harness.user(r(103)))!.lastLimitHitAt!) + 600_000;
    await harness.deployment.sendRuntime.users.recordLimitHit(r(103), laterHit, Date.now());
    expect((await harness.job('after-limit', r(103)))?.dueAt).toBe(first!.dueAt);
    // …until its message comes back (the release function sends it on when due): deferred again, from the later hit.
    // The deferred message itself stays parked on the deferred queue until then: the same body, built from the job.
    await harness.sendRaw(dispatchBodyFromItem(first!, first!.attempt, first!.nextDispatchId!));
    await harness.waitForJobs((jobs) => jobs.some((j) => j.campaignId === 'after-limit' && j.dueAt !== first!.dueAt));
    const again = await harness.job('after-limit', r(103));
    expect(again).toMatchObject({ state: 'deferred', apiCalls: 0, dueAt: new Date(laterHit + 86_400_000).toISOString() });
    expect(await harness.figures('after-limit')).toMatchObject({ byState: { deferred: 1 }, deferredBeforeSending: 2 });
  });

  it('suppresses an opted-out recipient', async () => {
    await harness.enqueue([aJob({ campaignId: 'errors-optout', recipient: r(104) })]);
    await harness.waitForJobs(settled('errors-optout', 1, ['suppressed']));
    expect(await harness.job('errors-optout', r(104))).toMatchObject({ state: 'suppressed', lastErrorCode: 131050 });
    expect(await harness.user(r(104))).toMatchObject({ optedOut: true, optOutSource: '131050' });
    // Later campaigns never call Meta for this recipient.
    await harness.enqueue([aJob({ campaignId: 'after-optout', recipient: r(104) })]);
    await harness.waitForJobs(settled('after-optout', 1, ['suppressed']));
    expect(harness.sim.calls().filter((c) => c.recipient === r(104))).toHaveLength(1);
  });

  it('sends a job delivered twice by SQS only once', async () => {
    const job = aJob({ campaignId: 'duplicates', recipient: r(200) });
    await harness.enqueue([job, job, job]);
    await harness.waitForJobs(settled('duplicates', 1));
    await harness.quiet('SendQueue');
    expect(harness.sim.calls().filter((c) => c.recipient === r(200))).toHaveLength(1);
    expect(await harness.figures('duplicates')).toMatchObject({ byState: { accepted: 1 }, uniqueAccepted: 1 });
  });

  it('sends the same SQS message handed to the handler twice only once', async () => {
    const { sendHandler } = harness.deployment;
    const { sqsRecord } = await import('../helpers/factories.ts');
    const { createLambdaContext } = await import('lambda-local-kit');
    const record = sqsRecord(
      JSON.stringify({ ...aJob({ campaignId: 'redelivered', recipient: r(201) }), createdAt: new Date().toISOString() }),
    );
    const context = () => createLambdaContext({ functionName: 'send', timeoutMs: 10_000 } as never);
    expect(await sendHandler({ Records: [record] }, context())).toEqual({ batchItemFailures: [] });
    expect(await sendHandler({ Records: [record] }, context())).toEqual({ batchItemFailures: [] });
    expect(harness.sim.calls().filter((c) => c.recipient === r(201))).toHaveLength(1);
  });

  it('never sends a job whose validity has passed', async () => {
    const createdAt = new Date(Date.now() - 43_201_000).toISOString();
    await harness.enqueue([aJob({ campaignId: 'expired', recipient: r(202), validitySeconds: 43_200, createdAt })]);
    await harness.waitForJobs(settled('expired', 1, ['expired']));
    expect(harness.sim.calls().filter((c) => c.recipient === r(202))).toHaveLength(0);
    expect(await harness.job('expired', r(202))).toMatchObject({ state: 'expired', apiCalls: 0 });
    expect((await harness.figures('expired')).byState).toEqual({ expired: 1 });
  });

  it('waits for notBefore', async () => {
    const notBefore = new Date(Date.now() + 2_000).toISOString();
    await harness.enqueue([aJob({ campaignId: 'not-before', recipient: r(203), notBefore })]);
    await harness.waitForJobs(settled('not-before', 1));
    const [call] = harness.sim.calls().filter((c) => c.recipient === r(203));
    expect(call!.at).toBeGreaterThanOrEqual(Date.parse(notBefore) - 1_000);
  });

  it('marks a request that timed out as unknown and never re-sends it', async () => {
    await harness.enqueue([aJob({ campaignId: 'timeout', recipient: r(300) })]);
    await harness.waitForJobs(settled('timeout', 1, ['unknown']));
    await harness.quiet('SendQueue');
    expect(await harness.job('timeout', r(300))).toMatchObject({ state: 'unknown', apiCalls: 1 });
    expect(harness.sim.calls().filter((c) => c.recipient === r(300))).toHaveLength(1);
    expect((await harness.figures('timeout')).byState).toEqual({ unknown: 1 });
  });

  it('treats a connection reset after the request as unknown, not as a reason to resend', async () => {
    await harness.enqueue([aJob({ campaignId: 'reset', recipient: r(301) })]);
    await harness.waitForJobs(settled('reset', 1, ['unknown']));
    expect(harness.sim.calls().filter((c) => c.recipient === r(301))).toHaveLength(1);
  });

  it('dead-letters invalid jobs with a readable reason and counts them', async () => {
    const bodies = [
      '{"schemaVersion":1,"campaignId":"bad-input"',
      JSON.stringify({ ...aJob({ campaignId: 'bad-input' }), recipient: 4915112345678 }),
      JSON.stringify(aJob({ campaignId: 'bad-input', recipient: '+15551234567' })),
      JSON.stringify(aJob({ campaignId: 'bad-input', recipient: '+5351234567' })),
      JSON.stringify({ ...aJob({ campaignId: 'bad-input' }), schemaVersion: 7 }),
      JSON.stringify({ ...aJob({ campaignId: 'bad-input' }), surprise: true }),
    ];
    for (const body of bodies) await harness.sendRaw(body);
    await expect.poll(async () => (await harness.queueCounts('SendDeadLetterQueue')).visible, { timeout: 15_000 }).toBe(bodies.length);
    const dead = await harness.drain('SendDeadLetterQueue');
    const reasons = dead.map((m) => m.MessageAttributes?.rejectionReason?.StringValue).sort();
    expect(reasons).toEqual([
      'invalid_recipient',
      'malformed_json',
      'restricted_recipient',
      'schema_violation',
      'schema_violation',
      'unsupported_schema_version',
    ]);
    expect(dead.map((m) => m.Body).sort()).toEqual([...bodies].sort());
    for (const message of dead) {
      expect(message.MessageAttributes?.rejectionDetail?.StringValue?.length).toBeGreaterThan(5);
      expect(message.MessageAttributes?.sourceMessageId?.StringValue).toBeTruthy();
    }
    expect(await harness.figures('bad-input')).toMatchObject({ rejected: 5, byState: {} });
    expect(harness.sim.calls().filter((c) => JSON.stringify(c.body).includes('bad-input'))).toHaveLength(0);
  });
});
