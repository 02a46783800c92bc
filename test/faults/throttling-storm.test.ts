import { describe, expect, it } from 'vitest';
import { FaultLedger, keyOf } from '../helpers/fault-accounting.ts';
import { acceptedByKey, closeTheBooks, faultJob, harnessView, recipients, settle } from '../helpers/fault-stage.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, PHONE_NUMBER_ID, startSendHarness } from '../helpers/send-harness.ts';

/**
 * Fault family 2: 130429 storms.
 *
 * - A phone number whose real throughput (5/s at "Meta") is far below what the sender is
 *   configured for (the default 80/s): most first sends are refused with 130429.
 * - A number with room to spare, where a rule answers 130429 four times in a row to half the
 *   recipients anyway (Meta's limits are not only per second).
 *
 * Every job must end accepted, exactly once, without using up a retry (130429 is not the job's fault).
 */
const SLOW_NUMBER = '100000000000002';
const harness = await startSendHarness(
  baseScenario({
    phoneNumbers: [
      { id: PHONE_NUMBER_ID, ratePerSecond: 1_000 },
      { id: SLOW_NUMBER, ratePerSecond: 5 },
    ],
    latencyMs: { min: 5, max: 30 },
    rules: [{ name: 'storm', phoneNumberId: PHONE_NUMBER_ID, fraction: 0.5, times: 4, error: 130429 }],
  }),
  { env: { META_RETRY_WAITS: JSON.stringify({ 130429: 1 }) } },
);
const { clients } = useLocalStack();
const view = harnessView(harness, clients);
const ledger = new FaultLedger('throttling-storm');

describe('130429 storms', () => {
  const slow = recipients(30_000, 60).map((r) => faultJob('storm-slow-number', r, { phoneNumberId: SLOW_NUMBER }));
  const ruled = recipients(30_100, 60).map((r) => faultJob('storm-injected', r));

  it('sends every job exactly once, and throttling spends no retries', { timeout: 150_000 }, async () => {
    ledger.addJobs([...slow, ...ruled]);
    await harness.enqueue([...slow, ...ruled]);
    const settled = await settle(view, ledger, { timeoutMs: 120_000 });

    const calls = harness.sim.calls();
    const accepted = acceptedByKey(calls);
    const notAccepted = [...ledger.valid.keys()].filter((key) => settled.get(key)?.state !== 'accepted' || accepted.get(key)?.length !== 1);
    expect(notAccepted, 'every job accepted by exactly one call').toEqual([]);
    expect([...settled.values()].filter((j) => j.retries !== 0).map((j) => [j.jobKey, j.retries])).toEqual([]);

    // The injected storm: each recipient the rule picked got four 130429s, then one acceptance.
    const stormed = new Map<string, number>();
    for (const call of calls) if (call.rule?.name === 'storm') stormed.set(call.recipient!, (stormed.get(call.recipient!) ?? 0) + 1);
    expect(stormed.size).toBeGreaterThan(15);
    for (const [recipient, n] of stormed) {
      expect(n, recipient).toBe(4);
      expect(settled.get(keyOf('storm-injected', recipient))?.apiCalls, recipient).toBe(5);
    }
    const throttledOnSlowNumber = calls.filter((c) => c.phoneNumberId === SLOW_NUMBER && c.outcome === 130429).length;
    console.log(
      `130429 storm: ${throttledOnSlowNumber} answers on the 5/s number for 60 jobs, ${[...stormed.values()].reduce((a, b) => a + b, 0)} injected on the other`,
    );
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
