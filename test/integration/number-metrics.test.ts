import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { captureEmf } from '../helpers/emf-lines.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, OTHER_PHONE_NUMBER_ID, PHONE_NUMBER_ID, startSendHarness } from '../helpers/send-harness.ts';

/**
 * The send function's metrics per phone number, which the dashboard draws against each number's
 * ceiling: as the real send function prints them (EMF on stdout), with `phoneNumberId` beside the
 * function's own dimensions. One number sends (one of its calls meets a 130429); the other's
 * breaker is open, so its jobs are held.
 */
const { emitted } = captureEmf();
const r = (n: number) => recipientNumber(9_300 + n);
const harness = await startSendHarness(
  baseScenario({
    phoneNumbers: [
      { id: PHONE_NUMBER_ID, ratePerSecond: 1_000 },
      { id: OTHER_PHONE_NUMBER_ID, ratePerSecond: 1_000 },
    ],
    rules: [{ name: 'one-throttle', recipients: [r(0)], times: 1, error: 130429 }],
  }),
  { env: { PHONE_NUMBER_RATES: JSON.stringify({ [PHONE_NUMBER_ID]: 40 }), PHONE_NUMBER_RATE_PER_SECOND: '25', HOLD_SECONDS: '2' } },
);
const { clients } = useLocalStack();
const byNumber = (metric: string, phoneNumberId: string) => emitted(metric).filter((m) => m.values.phoneNumberId === phoneNumberId);
const sum = (metric: string, phoneNumberId: string) => byNumber(metric, phoneNumberId).reduce((total, m) => total + m.value, 0);

describe('metrics per phone number', () => {
  it('count the sends and 130429s of each number, its ceiling, its held jobs and its breaker, each under its own number', async () => {
    await clients.documents.send(
      new PutCommand({
        TableName: tableOf(harness.deployment.resources, 'ControlTable').name,
        Item: { key: `phone#${OTHER_PHONE_NUMBER_ID}`, state: 'open', reasonCode: 190, nextProbeAt: Date.now() + 3_600_000 },
      }),
    );
    await harness.enqueue([
      ...Array.from({ length: 5 }, (_, i) => aJob({ campaignId: 'per-number', recipient: r(i) })),
      ...Array.from({ length: 3 }, (_, i) =>
        aJob({ campaignId: 'per-number-held', recipient: r(10 + i), phoneNumberId: OTHER_PHONE_NUMBER_ID }),
      ),
    ]);
    await harness.waitForJobs((jobs) => jobs.filter((j) => j.campaignId === 'per-number' && j.state === 'accepted').length === 5);
    await expect.poll(() => sum('NumberJobsHeld', OTHER_PHONE_NUMBER_ID)).toBeGreaterThanOrEqual(3);

    // Six calls: five accepted and the one 130429, which the job's retry follows.
    // (A batch flushes its metrics after its last job's write: wait for the flush, not the write.)
    await expect.poll(() => sum('NumberSends', PHONE_NUMBER_ID)).toBe(6);
    expect(sum('NumberThrottled', PHONE_NUMBER_ID)).toBe(1);
    expect(new Set(byNumber('NumberRateCeiling', PHONE_NUMBER_ID).map((m) => m.value))).toEqual(new Set([40]));
    expect(new Set(byNumber('NumberBreakerOpen', PHONE_NUMBER_ID).map((m) => m.value))).toEqual(new Set([0]));

    expect(sum('NumberSends', OTHER_PHONE_NUMBER_ID)).toBe(0);
    expect(new Set(byNumber('NumberRateCeiling', OTHER_PHONE_NUMBER_ID).map((m) => m.value))).toEqual(new Set([25]));
    expect(new Set(byNumber('NumberBreakerOpen', OTHER_PHONE_NUMBER_ID).map((m) => m.value))).toEqual(new Set([1]));

    for (const metric of ['NumberSends', 'NumberThrottled', 'NumberRateCeiling', 'NumberBreakerOpen', 'NumberJobsHeld']) {
      expect(new Set(emitted(metric).map((m) => m.dimensions.join()))).toEqual(new Set(['function,phoneNumberId,service']));
      expect(new Set(emitted(metric).map((m) => m.values.function))).toEqual(new Set(['send']));
    }
  });
});
