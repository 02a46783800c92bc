import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * A 131049 webhook schedules attempt 2 through the deferred queue. When that enqueue fails,
 * the status comes back; by then the job item may already wait for the retry, and a status
 * that no longer applies changes nothing. The retry's message must therefore never be lost
 * behind the job write.
 */
let deferredSendsToFail = 0;
let refusedDeferredSends = 0;
const harness = await startSendHarness(baseScenario(), {
  // The status message comes back 2 s after a failed attempt instead of the deployed 185 s (the
  // local event source wants the function's timeout under the visibility timeout, as AWS does).
  resourceOverrides: { StatusQueue: { VisibilityTimeout: 2 } },
  functionTimeoutMs: 1_500,
  env: { META_REQUEST_TIMEOUT_MS: '500' },
  injectFault: (service, command, input) => {
    if (
      service !== 'sqs' ||
      command !== 'SendMessageBatchCommand' ||
      !String(input.QueueUrl).includes('deferred') ||
      deferredSendsToFail === 0
    )
      return undefined;
    deferredSendsToFail--;
    refusedDeferredSends++;
    return Object.assign(new Error('injected: SQS unavailable'), { name: 'ServiceUnavailable' });
  },
});
const recipient = recipientNumber(8_800);

describe('a retry whose enqueue fails', () => {
  it('is enqueued when the status comes back: the job waits for a message that exists', async () => {
    await harness.enqueue([aJob({ campaignId: 'lost-retry', recipient, validitySeconds: 3 * 86_400 })]);
    const [job] = (await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'lost-retry' && j.state === 'accepted'))).filter(
      (j) => j.campaignId === 'lost-retry',
    );
    deferredSendsToFail = 1;
    const payload = statusesPayload([
      { wamid: job!.wamid!, recipient, status: 'failed', errorCode: 131049, timestamp: Math.floor(Date.now() / 1000) },
    ]);
    expect((await postWebhook(harness.deployment.webhookUrl!, payload)).status).toBe(200);

    const deferred = (
      await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'lost-retry' && j.state === 'deferred'), 20_000)
    ).find((j) => j.campaignId === 'lost-retry')!;
    await harness.quiet('StatusQueue');
    expect(refusedDeferredSends).toBe(1);
    expect(deferred).toMatchObject({ attempt: 2, lastErrorCode: 131049 });
    // The deferred queue holds the retry's message (the release function parks it until it is
    // due): one, although its first enqueue failed. Before the fix it held none.
    const counts = await harness.queueCounts('DeferredQueue');
    expect(counts.visible + counts.inFlight + counts.delayed).toBe(1);
    expect(deferred.nextDispatchId).toBeTruthy();
    expect((await harness.figures('lost-retry')).perUserLimitHits).toBe(1);
  });
});
