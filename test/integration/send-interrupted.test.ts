import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * The worker dies while the request is in flight: here the function times out (1.5 s) long
 * before the MM API request would (10 s). Lambda would freeze it; the event source hands the
 * message out again, and the new worker finds its own claim still `sending`.
 */
const slow = recipientNumber(2_000);
const harness = await startSendHarness(baseScenario({ rules: [{ name: 'slow', recipients: [slow], latencyMs: 5_000 }] }), {
  resourceOverrides: { SendQueue: { VisibilityTimeout: 2, RedrivePolicy: { maxReceiveCount: 4 } } },
  functionTimeoutMs: 1_500,
  env: { META_REQUEST_TIMEOUT_MS: '10000' },
});

describe('worker stopped during the send', () => {
  it('marks the job unknown on redelivery and does not send it again', async () => {
    await harness.enqueue([aJob({ campaignId: 'interrupted', recipient: slow })]);
    await harness.waitForJobs((all) => all.some((j) => j.campaignId === 'interrupted' && j.state === 'unknown'), 20_000);
    // Let the abandoned first invocation finish: its late answer must not overwrite `unknown`.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const job = await harness.job('interrupted', slow);
    expect(job).toMatchObject({ state: 'unknown', apiCalls: 1, lastErrorReason: 'worker stopped during the send' });
    expect(harness.sim.calls().filter((c) => c.recipient === slow)).toHaveLength(1);
    expect((await harness.figures('interrupted')).byState).toEqual({ unknown: 1 });
  });
});
