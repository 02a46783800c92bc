import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createLambdaContext, tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { THROTTLE_BACKOFF } from '../../lib/domain/pacing.ts';
import { aJob, recipientNumber, sqsRecord } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { runTool } from '../helpers/run-tool.ts';
import { baseScenario, OTHER_PHONE_NUMBER_ID, PHONE_NUMBER_ID, startSendHarness } from '../helpers/send-harness.ts';

/**
 * Failures that are not the job's fault, and pacing. The clock is injectable: `clockOffset`
 * moves the functions' "now" (probe times), while SQS delays run in real time (HOLD_SECONDS
 * is 3 s here so held jobs come back quickly).
 */
let clockOffset = 0;
const PACED_PHONE = '100000000000003';
const r = (n: number) => recipientNumber(7_000 + n);
const harness = await startSendHarness(
  baseScenario({
    phoneNumbers: [
      { id: PHONE_NUMBER_ID, ratePerSecond: 1_000 },
      { id: OTHER_PHONE_NUMBER_ID, ratePerSecond: 1_000 },
      { id: PACED_PHONE, ratePerSecond: 20 },
    ],
    rules: [
      { name: 'token-expired', phoneNumberId: OTHER_PHONE_NUMBER_ID, error: 190 },
      { name: 'template-paused', template: 'autumn_sale', recipients: [r(50)], error: 132015 },
    ],
  }),
  {
    now: () => Date.now() + clockOffset,
    // Two concurrent invocations: a stopped number lets at most two batches through.
    maximumConcurrency: 2,
    env: { HOLD_SECONDS: '3', PHONE_NUMBER_RATES: JSON.stringify({ [PACED_PHONE]: 20 }), META_REQUEST_TIMEOUT_MS: '2000' },
  },
);
const { clients, endpoints } = useLocalStack();
const controlTable = tableOf(harness.deployment.resources, 'ControlTable').name;
const control = async (key: string) =>
  (await clients.documents.send(new GetCommand({ TableName: controlTable, Key: { key }, ConsistentRead: true }))).Item;
const setControl = (key: string, name: string, value: unknown) =>
  clients.documents.send(
    new UpdateCommand({
      TableName: controlTable,
      Key: { key },
      UpdateExpression: 'SET #n = :v',
      ExpressionAttributeNames: { '#n': name },
      ExpressionAttributeValues: { ':v': value },
    }),
  );
/** `npm run ops -- …` against this deployment's control table. */
const ops = (...args: string[]) =>
  runTool('ops.ts', args, { ...process.env, CONTROL_TABLE: controlTable, AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb });
const callsFrom = (phone: string) => harness.sim.calls().filter((c) => c.phoneNumberId === phone);

describe('account-level errors stop the phone number, keep every job, and resume', () => {
  it('stops sending from the number within one batch per invocation and holds its jobs without failing them', async () => {
    const stopped = Array.from({ length: 30 }, (_, i) =>
      aJob({ campaignId: 'token', recipient: r(i), phoneNumberId: OTHER_PHONE_NUMBER_ID }),
    );
    const healthy = Array.from({ length: 5 }, (_, i) => aJob({ campaignId: 'healthy', recipient: r(100 + i) }));
    await harness.enqueue([...stopped, ...healthy]);
    await expect.poll(async () => (await control(`phone#${OTHER_PHONE_NUMBER_ID}`))?.state, { timeout: 15_000 }).toBe('open');
    await harness.waitForJobs((jobs) => jobs.filter((j) => j.campaignId === 'healthy' && j.state === 'accepted').length === 5);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    // The sends of the batch in flight (all 30 jobs: a batch holds 200) already claimed when the
    // first 190 came back reached Meta; the others were held before their call. A batch read
    // after the breaker opened holds its jobs without a call. Nothing failed, nothing was
    // dead-lettered.
    const callsWhileOpening = callsFrom(OTHER_PHONE_NUMBER_ID).length;
    expect(callsWhileOpening).toBeGreaterThanOrEqual(1);
    expect(callsWhileOpening).toBeLessThanOrEqual(30);
    await harness.enqueue(
      Array.from({ length: 5 }, (_, i) => aJob({ campaignId: 'token-later', recipient: r(30 + i), phoneNumberId: OTHER_PHONE_NUMBER_ID })),
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(callsFrom(OTHER_PHONE_NUMBER_ID).length).toBe(callsWhileOpening);
    const jobs = (await harness.allJobs()).filter((j) => j.campaignId === 'token');
    expect(jobs).toHaveLength(30);
    expect(jobs.every((j) => j.state === 'retry_wait')).toBe(true);
    // Each job that reached Meta carries the 190; one held before its call, the hold. On a starved
    // CPU a claimed job may also have been put back for a later send time before the stop (no
    // call made either): neither spent a retry.
    expect(jobs.filter((j) => j.lastErrorCode === 190)).toHaveLength(callsWhileOpening);
    const notCalled = jobs.filter((j) => j.lastErrorCode === undefined);
    expect(
      notCalled.filter((j) => !j.lastErrorReason?.startsWith('held before sending') && j.lastErrorReason !== 'no send time free in time'),
    ).toEqual([]);
    expect(notCalled.every((j) => j.retries === 0)).toBe(true);
    expect((await harness.queueCounts('SendDeadLetterQueue')).visible).toBe(0);
    expect(await control(`phone#${OTHER_PHONE_NUMBER_ID}`)).toMatchObject({ state: 'open', reasonCode: 190, probeIntervalSeconds: 60 });
    expect((await harness.figures('token')).byState.failed).toBeUndefined();
  });

  it('probes once the probe is due: still failing keeps it stopped and backs off', async () => {
    const before = callsFrom(OTHER_PHONE_NUMBER_ID).length;
    clockOffset = 61_000;
    await expect.poll(async () => (await control(`phone#${OTHER_PHONE_NUMBER_ID}`))?.probeIntervalSeconds, { timeout: 15_000 }).toBe(120);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect(callsFrom(OTHER_PHONE_NUMBER_ID).length - before).toBe(1);
    expect((await control(`phone#${OTHER_PHONE_NUMBER_ID}`))?.state).toBe('open');
  });

  it('resumes every held job after a successful probe', async () => {
    harness.sim.setScenario({
      ...harness.sim.scenario(),
      rules: harness.sim.scenario().rules.filter((rule) => rule.name !== 'token-expired'),
    });
    clockOffset = 61_000 + 121_000;
    await expect.poll(async () => (await control(`phone#${OTHER_PHONE_NUMBER_ID}`))?.state, { timeout: 15_000 }).toBe('closed');
    await harness.waitForJobs((jobs) => jobs.filter((j) => j.campaignId === 'token' && j.state === 'accepted').length === 30, 30_000);
    for (let i = 0; i < 30; i++) expect(harness.sim.acceptedFor(r(i))).toHaveLength(1);
    expect(await harness.figures('token')).toMatchObject({ byState: { accepted: 30 }, uniqueAccepted: 30 });
  });

  it('resumes when an operator closes the breaker with `npm run ops -- breaker close`', async () => {
    await setControl(`phone#${PHONE_NUMBER_ID}`, 'state', 'open');
    await setControl(`phone#${PHONE_NUMBER_ID}`, 'nextProbeAt', Date.now() + clockOffset + 3_600_000);
    await harness.enqueue([aJob({ campaignId: 'operator-resume', recipient: r(200) })]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(harness.sim.acceptedFor(r(200))).toHaveLength(0);
    expect((await ops('breaker', 'close', PHONE_NUMBER_ID)).code).toBe(0);
    await harness.waitForJobs((jobs) => jobs.some((j) => j.campaignId === 'operator-resume' && j.state === 'accepted'), 20_000);
  });
});

describe('an emergency stop of all sending', () => {
  it('holds every job of every number and campaign, spending no retry, until an operator lets sending run again (npm run ops -- sending stop|start)', async () => {
    expect((await ops('sending', 'stop', '--reason', 'test of the emergency stop')).code).toBe(0);
    const jobs = [
      ...Array.from({ length: 4 }, (_, i) => aJob({ campaignId: 'stop-all-a', recipient: r(800 + i) })),
      ...Array.from({ length: 4 }, (_, i) => aJob({ campaignId: 'stop-all-b', recipient: r(810 + i), phoneNumberId: PACED_PHONE })),
    ];
    await harness.enqueue(jobs);
    // Every job is held, comes back after HOLD_SECONDS, and is held again: it keeps looking.
    await expect
      .poll(async () => ((await harness.counters('stop-all-a')).holds ?? 0) + ((await harness.counters('stop-all-b')).holds ?? 0), {
        timeout: 30_000,
      })
      .toBeGreaterThanOrEqual(2 * jobs.length);
    expect(jobs.flatMap((job) => harness.sim.acceptedFor(job.recipient))).toEqual([]);
    expect((await harness.allJobs()).filter((j) => j.campaignId.startsWith('stop-all-'))).toEqual([]);
    expect((await ops('sending', 'start')).code).toBe(0);
    await harness.waitForJobs(
      (all) => all.filter((j) => j.campaignId.startsWith('stop-all-') && j.state === 'accepted').length === jobs.length,
      20_000,
    );
    for (const job of jobs) expect(harness.sim.acceptedFor(job.recipient)).toHaveLength(1);
    expect((await harness.allJobs()).filter((j) => j.campaignId.startsWith('stop-all-')).every((j) => j.retries === 0)).toBe(true);
  });
});

describe('a number stopped while a batch waits for its send times', () => {
  it('holds the rest of the batch, claimed or not, within about a second, and sends each job once after it resumes', async () => {
    // 100 jobs at 20/s: one batch whose sends span 5 s. Another invocation (here: the test)
    // stops the number after the first few; this batch re-reads the breakers once a second.
    const recipients = Array.from({ length: 100 }, (_, i) => r(300 + i));
    const ours = () => harness.sim.calls().filter((c) => recipients.includes(c.recipient ?? ''));
    await harness.enqueue(recipients.map((recipient) => aJob({ campaignId: 'stopped-mid-batch', recipient, phoneNumberId: PACED_PHONE })));
    await expect.poll(() => ours().length, { timeout: 15_000, interval: 50 }).toBeGreaterThanOrEqual(10);
    await setControl(`phone#${PACED_PHONE}`, 'nextProbeAt', Date.now() + clockOffset + 3_600_000);
    await setControl(`phone#${PACED_PHONE}`, 'state', 'open');
    const atStop = ours().length;
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const afterStop = ours().length;
    // At 20/s: the sends claimed within the claim lead (1 s) and the batch's view's age (1 s).
    expect(afterStop - atStop).toBeLessThanOrEqual(45);
    expect(afterStop).toBeLessThan(100);
    const jobs = (await harness.allJobs()).filter((j) => j.campaignId === 'stopped-mid-batch');
    expect(jobs.filter((j) => j.state === 'failed' || j.state === 'unknown')).toEqual([]);
    await setControl(`phone#${PACED_PHONE}`, 'state', 'closed');
    await harness.waitForJobs(
      (all) => all.filter((j) => j.campaignId === 'stopped-mid-batch' && j.state === 'accepted').length === 100,
      60_000,
    );
    for (const recipient of recipients) expect(ours().filter((c) => c.recipient === recipient && c.outcome === 'accepted')).toHaveLength(1);
    // On a starved CPU a request can reach the simulator late enough to crowd its second: at most
    // one 130429, whose job is retried once (it is the only call besides the accepted one).
    const throttled = ours()
      .filter((c) => c.outcome === 130429)
      .map((c) => c.recipient);
    expect(throttled.length).toBeLessThanOrEqual(1);
    // A job held after its claim made no call then: its item counts the one call it made, and no retry.
    const sent = (await harness.allJobs()).filter((j) => j.campaignId === 'stopped-mid-batch');
    expect(sent.filter((j) => j.apiCalls !== (throttled.includes(j.recipient) ? 2 : 1))).toEqual([]);
    expect((await harness.figures('stopped-mid-batch')).retries.scheduled).toBe(throttled.length);
  });
});

describe('template-level errors pause the campaign', () => {
  it('pauses only that campaign and holds its jobs', async () => {
    await harness.enqueue([
      aJob({ campaignId: 'paused', recipient: r(50) }),
      ...Array.from({ length: 5 }, (_, i) => aJob({ campaignId: 'paused', recipient: r(51 + i) })),
    ]);
    await expect.poll(async () => (await control('campaign#paused'))?.status, { timeout: 15_000 }).toBe('PAUSED');
    expect(await control('campaign#paused')).toMatchObject({ pausedBy: 'template_error', reasonCode: 132015 });
    await harness.enqueue([aJob({ campaignId: 'not-paused', recipient: r(60) })]);
    await harness.waitForJobs((jobs) => jobs.some((j) => j.campaignId === 'not-paused' && j.state === 'accepted'));
    expect((await harness.figures('paused')).byState.failed).toBeUndefined();
  });

  it('holds the paused campaign’s later jobs, and ends them when an operator cancels it', async () => {
    await harness.enqueue(Array.from({ length: 5 }, (_, i) => aJob({ campaignId: 'paused', recipient: r(70 + i) })));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (let i = 70; i < 75; i++) expect(harness.sim.calls().filter((c) => c.recipient === r(i))).toHaveLength(0);
    await setControl('campaign#paused', 'status', 'CANCELLED');
    const later = Array.from({ length: 5 }, (_, i) => r(70 + i));
    await harness.waitForJobs(
      (jobs) => jobs.filter((j) => j.campaignId === 'paused' && later.includes(j.recipient) && j.state === 'cancelled').length === 5,
      20_000,
    );
    for (const recipient of later) expect(harness.sim.calls().filter((c) => c.recipient === recipient)).toHaveLength(0);
    expect((await harness.figures('paused')).byState.cancelled).toBeGreaterThanOrEqual(5);
  });
});

describe('fleet-wide pacing', () => {
  it('keeps every sliding second within the number’s rate, with no more than one 130429', async () => {
    const jobs = Array.from({ length: 100 }, (_, i) => aJob({ campaignId: 'paced', recipient: r(300 + i), phoneNumberId: PACED_PHONE }));
    await harness.enqueue(jobs);
    await harness.waitForJobs((all) => all.filter((j) => j.campaignId === 'paced' && j.state === 'accepted').length === 100, 40_000);
    const calls = callsFrom(PACED_PHONE);
    // The sends leave within 15 ms of their times, 52 ms apart at this rate: a 130429 needs a
    // request held up tens of ms more on its way, which only a starved CPU does here; more than one
    // means the pacer crowds the second.
    expect(calls.filter((c) => c.outcome === 130429).length).toBeLessThanOrEqual(1);
    const times = calls
      .filter((c) => c.outcome === 'accepted')
      .map((c) => c.at)
      .sort((a, b) => a - b);
    let maxInWindow = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1_000) j++;
      maxInWindow = Math.max(maxInWindow, i - j + 1);
    }
    expect(maxInWindow).toBeLessThanOrEqual(20);
    // 100 sends paced at 19/s (3 % headroom) cannot take less than about 5 s.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(4_500);
  });

  it('slows the whole fleet down after a 130429', async () => {
    harness.sim.setScenario({
      ...harness.sim.scenario(),
      rules: [...harness.sim.scenario().rules, { name: 'storm', recipients: [r(400)], times: 1, error: 130429 }],
    });
    await harness.enqueue([aJob({ campaignId: 'storm', recipient: r(400) })]);
    await expect.poll(async () => (await control(`phone#${PHONE_NUMBER_ID}`))?.throttleFactor, { timeout: 10_000 }).toBe(THROTTLE_BACKOFF);
    expect((await control(`phone#${PHONE_NUMBER_ID}`))?.throttledAt).toBeGreaterThan(Date.now() + clockOffset - 10_000);
    await harness.waitForJobs((jobs) => jobs.some((j) => j.campaignId === 'storm' && j.state === 'accepted'), 20_000);
  });

  it('spaces two campaigns’ messages to the same recipient by 6 s', async () => {
    const recipient = r(500);
    await harness.enqueue([aJob({ campaignId: 'pair-a', recipient }), aJob({ campaignId: 'pair-b', recipient })]);
    await harness.waitForJobs((jobs) => jobs.filter((j) => j.recipient === recipient && j.state === 'accepted').length === 2, 20_000);
    const [first, second] = harness.sim.acceptedFor(recipient).map((c) => c.at);
    expect(second! - first!).toBeGreaterThanOrEqual(5_500);
  });
});

describe('near the function deadline', () => {
  it('starts no send and hands every record back untouched', async () => {
    const records = Array.from({ length: 3 }, (_, i) =>
      sqsRecord(JSON.stringify({ ...aJob({ campaignId: 'deadline', recipient: r(600 + i) }), createdAt: new Date().toISOString() })),
    );
    // 2.1 s left, a 2 s request timeout: no send could finish in time.
    const response = await harness.deployment.sendHandler(
      { Records: records },
      createLambdaContext({ functionName: 'send', timeoutMs: 2_100 }),
    );
    expect(response).toEqual({ batchItemFailures: records.map((record) => ({ itemIdentifier: record.messageId })) });
    expect((await harness.allJobs()).filter((j) => j.campaignId === 'deadline')).toHaveLength(0);
    for (let i = 0; i < 3; i++) expect(harness.sim.calls().filter((c) => c.recipient === r(600 + i))).toHaveLength(0);
  });
});
