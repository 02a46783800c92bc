import { describe, expect, it } from 'vitest';
import { audienceCsv, startCampaignHarness } from '../helpers/campaign-harness.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * Two campaigns on one phone number share its rate, through the real ticker, feeder and send
 * functions: each feeder keeps only its share of the next 30 s of sending on the queue, so a
 * campaign launched beside a large one starts within about that, not after the large one's whole
 * audience, and from then on the two take turns on the number.
 *
 * The turns are coarse: the send queue is one queue in arrival order, and each feeder tops its
 * share up as its jobs leave, so the sends come in runs of one campaign, each about as long as that
 * campaign's share of the queue. Over a window of two runs each has about half; in any one second
 * it may have all or nothing. (A feeder also reuses the number's summed weights for 30 s, so the
 * campaign launched second feeds as if alone at first, and the first does not yet make room.)
 */
const RATE = 20;
const HORIZON_SECONDS = 30;
const harness = await startCampaignHarness(
  baseScenario(),
  { env: { PHONE_NUMBER_RATE_PER_SECOND: String(RATE), FEED_HORIZON_SECONDS: String(HORIZON_SECONDS) } },
  // The feeders wait for their shares of the queue to drain: their looks must not move the clock.
  { realSleeps: true },
);

const B_FIRST_NUMBER = 100_000;
const isB = (recipient: string | undefined) => (recipient ?? '') >= `+49151${String(B_FIRST_NUMBER).padStart(8, '0')}`;

describe('two campaigns on one number', () => {
  it('start the second within the first one’s share of the queue, then share the number about equally', async () => {
    const rowsA = 1_200;
    await harness.putAudience('big.csv', audienceCsv(rowsA));
    await harness.putAudience('small.csv', audienceCsv(800, B_FIRST_NUMBER));
    await harness.create(harness.aCampaign('big', { launch: { at: new Date(harness.now()).toISOString() } }));
    expect((await harness.deployment.tickCampaigns()).launched).toEqual(['big']);
    await expect.poll(() => harness.sim.calls().length, { timeout: 20_000 }).toBeGreaterThanOrEqual(RATE);

    await harness.create(harness.aCampaign('small', { launch: { at: new Date(harness.now()).toISOString() } }));
    expect((await harness.deployment.tickCampaigns()).launched).toEqual(['small']);
    // B's first rows queue behind A's 30 s share: on a busy machine the number sends below its rate, so allow twice that.
    await expect.poll(() => harness.sim.calls().some((call) => isB(call.recipient)), { timeout: 75_000 }).toBe(true);

    // Before the second campaign's first send, the first sent at most what it had queued alone
    // (its share, the whole rate, for 30 s), far from its whole audience.
    const calls = () => harness.sim.calls();
    const firstOfB = calls().findIndex((call) => isB(call.recipient));
    const startedAt = calls()[firstOfB]!.at;
    expect(firstOfB).toBeLessThanOrEqual(RATE * HORIZON_SECONDS + RATE * 5);
    expect(firstOfB).toBeLessThan(rowsA / 2);

    // Then two runs of about 20 s each: a window of 40 s holds about half of each.
    const WINDOW_MS = 40_000;
    await expect.poll(() => calls().at(-1)!.at, { timeout: WINDOW_MS + 15_000 }).toBeGreaterThanOrEqual(startedAt + WINDOW_MS);
    const inWindow = calls().filter((call) => call.at >= startedAt && call.at < startedAt + WINDOW_MS);
    const shareOfB = inWindow.filter((call) => isB(call.recipient)).length / inWindow.length;
    // Coarse: the queue is one queue in arrival order, so the campaigns alternate in runs as long as
    // what each fed; the second feeds as if alone at first (its whole 30 s share), so its first run
    // alone can fill three quarters of the window.
    expect(shareOfB).toBeGreaterThanOrEqual(0.2);
    expect(shareOfB).toBeLessThanOrEqual(0.8);
    // Both still had work all along: neither audience ran out within the window.
    expect(inWindow.filter((call) => !isB(call.recipient)).length + firstOfB).toBeLessThan(rowsA);
    expect(inWindow.filter((call) => isB(call.recipient)).length).toBeLessThan(800);
    expect(new Set(calls().map((call) => call.recipient)).size).toBe(calls().length);
    await harness.cancel('big', 'small');
  }, 160_000);
});
