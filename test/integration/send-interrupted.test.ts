import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * The runtime dies while the request is in flight: the wrapped handler is abandoned 1 s into
 * a 5-second MM API call (as a crashed or frozen Lambda would be). The event source hands the
 * message out again, and the new worker finds its own claim still `sending`.
 */
const slow = recipientNumber(2_000);
const harness = await startSendHarness(baseScenario({ rules: [{ name: 'slow', recipients: [slow], latencyMs: 5_000 }] }), {
  resourceOverrides: { SendQueue: { VisibilityTimeout: 2, RedrivePolicy: { maxReceiveCount: 4 } } },
  functionTimeoutMs: 1_500,
  // The abandoned claim counts as dead after 1 s (production: 60 s, twice the function timeout).
  env: { CLAIM_STALE_SECONDS: '1' },
  wrapSendHandler: (handler) => (event, context) => {
    // The handler believes it has a normal Lambda minute; the "runtime" gives up after 1 s.
    const unaware = { ...context, getRemainingTimeInMillis: () => 60_000 };
    return Promise.race([
      handler(event, unaware),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('runtime died')), 1_000)),
    ]);
  },
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
