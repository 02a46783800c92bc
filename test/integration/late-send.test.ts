import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { effectiveRate, LATE_TOLERANCE_MS, sendBatchSizeFor, sendIntervalMicros } from '../../lib/domain/pacing.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, PHONE_NUMBER_ID, startSendHarness } from '../helpers/send-harness.ts';

/**
 * A send function whose event loop stalls: every third wait for a send time oversleeps by
 * 250 ms. A send that wakes up that late must take a new time instead of leaving late and
 * landing on top of the sends after it (which is what makes Meta answer 130429).
 */
const RATE = 20;
const OVERSLEEP_MS = 250;
let sleeps = 0;
let paceAppends = 0;
/** When each request to Meta left the send function: its arrival at the simulator also carries the machine's scheduling delays. */
const departures: number[] = [];
const harness = await startSendHarness(baseScenario({ phoneNumbers: [{ id: PHONE_NUMBER_ID, ratePerSecond: RATE }] }), {
  maximumConcurrency: 2,
  env: { PHONE_NUMBER_RATE_PER_SECOND: String(RATE) },
  sendFetch: (input, init) => {
    departures.push(performance.now());
    return fetch(input, init);
  },
  sendSleep: async (ms) => {
    await sleep(++sleeps % 3 === 0 ? ms + OVERSLEEP_MS : ms);
  },
  injectFault: (service, command, input) => {
    if (
      service === 'dynamodb' &&
      command === 'UpdateItemCommand' &&
      String((input.Key as { key?: unknown } | undefined)?.key).startsWith('pace#')
    )
      paceAppends++;
    return undefined;
  },
});

describe('a send that wakes up after its time', () => {
  it('takes a new time: every send still keeps its distance from the others, and each job is sent once', async () => {
    const recipients = Array.from({ length: 30 }, (_, i) => recipientNumber(9_100 + i));
    await harness.enqueue(recipients.map((recipient) => aJob({ campaignId: 'late', recipient })));
    await harness.waitForJobs((jobs) => jobs.filter((j) => j.campaignId === 'late' && j.state === 'accepted').length === 30, 30_000);
    for (const recipient of recipients) expect(harness.sim.acceptedFor(recipient), recipient).toHaveLength(1);

    const calls = harness.sim.calls().filter((c) => c.phoneNumberId === PHONE_NUMBER_ID);
    expect(calls.filter((c) => c.outcome === 130429)).toHaveLength(0);
    expect(departures).toHaveLength(calls.length);
    const times = [...departures].sort((a, b) => a - b);
    const interval = sendIntervalMicros(effectiveRate(RATE)) / 1000;
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // A late send that went anyway would leave within a few ms of the next one; a send may
    // leave up to LATE_TOLERANCE_MS after its time, so two neighbours may come that much closer.
    expect(Math.min(...gaps)).toBeGreaterThan(interval - 2 * LATE_TOLERANCE_MS);
    // The stalls happened, and each cost a new reservation (beyond one per batch).
    expect(sleeps).toBeGreaterThan(30);
    expect(paceAppends).toBeGreaterThan(Math.ceil(30 / sendBatchSizeFor(RATE)) + 5);
  });
});
