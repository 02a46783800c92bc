import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { queueOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { DUE_AT_ATTRIBUTE } from '../../lib/ports/job-queues.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

const limited = recipientNumber(4_000);
const HOUR = 3_600_000;

/** The release function's clock runs 25 h ahead: it releases a 24-hour deferral at once. */
let sendClockOffset = 0;
let releaseClockOffset = 25 * HOUR;
const harness = await startSendHarness(baseScenario({ rules: [{ name: 'limit-once', recipients: [limited], times: 1, error: 131049 }] }), {
  now: () => Date.now() + sendClockOffset,
  releaseNow: () => Date.now() + releaseClockOffset,
});
const { clients } = useLocalStack();

async function putDeferred(body: string, dueAt?: number) {
  await clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueOf(harness.deployment.resources, 'DeferredQueue').url,
      MessageBody: body,
      MessageAttributes: dueAt === undefined ? {} : { [DUE_AT_ATTRIBUTE]: { DataType: 'Number', StringValue: String(dueAt) } },
    }),
  );
}

describe('deferred queue and release function', () => {
  it('takes a 131049 through the deferred queue to a second attempt', async () => {
    await harness.enqueue([aJob({ campaignId: 'deferral', recipient: limited, validitySeconds: 3 * 86_400 })]);
    await harness.waitForJobs((jobs) => jobs.some((j) => j.campaignId === 'deferral' && j.state === 'deferred'));
    // The job is recorded as deferred before its next attempt is enqueued: wait until that message
    // reached the deferred queue (or the release function), before the send clock jumps ahead.
    const release = harness.deployment.sources.release!;
    await expect
      .poll(async () => {
        const counts = await harness.queueCounts('DeferredQueue');
        return counts.visible + counts.inFlight + counts.delayed + release.stats().records;
      })
      .toBeGreaterThan(0);
    // The released attempt is sent "25 h later", when the recipient's 131049 has cleared.
    sendClockOffset = 25 * HOUR;
    await harness.waitForJobs((jobs) => jobs.some((j) => j.campaignId === 'deferral' && j.state === 'accepted'));
    const job = await harness.job('deferral', limited);
    expect(job).toMatchObject({ state: 'accepted', attempt: 2, apiCalls: 2 });
    expect(
      harness.sim
        .calls()
        .filter((c) => c.recipient === limited)
        .map((c) => c.outcome),
    ).toEqual([131049, 'accepted']);
    // The release poller deletes the forwarded message after its handler returns, which may be after the send.
    await expect.poll(() => release.stats().deleted).toBeGreaterThanOrEqual(1);
    expect(await harness.figures('deferral')).toMatchObject({
      byState: { accepted: 1 },
      uniqueAccepted: 1,
      perUserLimitHits: 1,
      retries: { scheduled: 1, acceptedOnRetry: 1 },
    });
  });

  it('parks a message that is not due, without forwarding it', async () => {
    // Due 30 h from now, 5 h after the release clock: parked for 5 h minus the last 900 s.
    await putDeferred(JSON.stringify(aJob({ campaignId: 'parked', recipient: recipientNumber(4_001) })), Date.now() + 30 * HOUR);
    await expect.poll(async () => (await harness.queueCounts('DeferredQueue')).inFlight, { timeout: 10_000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await harness.queueCounts('DeferredQueue')).inFlight).toBe(1);
    expect(await harness.job('parked', recipientNumber(4_001))).toBeUndefined();
  });

  it('forwards a message without a readable due time at once, for the send function to judge', async () => {
    await putDeferred(JSON.stringify(aJob({ campaignId: 'no-due', recipient: recipientNumber(4_002) })));
    await harness.waitForJobs((jobs) => jobs.some((j) => j.campaignId === 'no-due' && j.state === 'accepted'));
  });

  it('sends a message a week old again as a new deferred message, which keeps its due time and is parked', async () => {
    const release = harness.deployment.sources.release!;
    const deletedBefore = release.stats().deleted;
    const parkedBefore = (await harness.queueCounts('DeferredQueue')).inFlight;
    // To the release clock the message was sent 7 days ago: parking it on would near SQS's retention.
    releaseClockOffset = 7 * 24 * HOUR;
    const recipient = recipientNumber(4_003);
    await putDeferred(
      JSON.stringify(aJob({ campaignId: 'renewed', recipient, validitySeconds: 30 * 86_400 })),
      Date.now() + 20 * 24 * HOUR,
    );
    await expect.poll(() => release.stats().deleted, { timeout: 10_000 }).toBeGreaterThan(deletedBefore);
    releaseClockOffset = 25 * HOUR;
    // The copy (and only it) is parked now: one message more, hidden, still deferred.
    await expect
      .poll(async () => harness.queueCounts('DeferredQueue'), { timeout: 10_000 })
      .toMatchObject({ visible: 0, inFlight: parkedBefore + 1, delayed: 0 });
    expect(await harness.job('renewed', recipient)).toBeUndefined();
    expect(harness.sim.acceptedFor(recipient)).toEqual([]);
  });
});
