import { afterEach, describe, expect, it } from 'vitest';
import { PairRateLimiter, SlidingWindowLimiter } from '../src/rate-limiters.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../src/server.ts';
import { marketingBody, outcomeOf, PHONE_ID, send, steppedClock } from './helpers/sim-client.ts';

const recipient = (i: number): string => `+4915100${String(i).padStart(6, '0')}`;

/** What an exact sliding window (at most `limit` admissions in any `windowMs`) answers to sends at these times, naively. */
function slidingWindowOutcomes(times: readonly number[], limit: number, windowMs: number): Array<'accepted' | 130429> {
  const admitted: number[] = [];
  return times.map((time) => {
    if (admitted.filter((at) => time - at < windowMs).length >= limit) return 130429;
    admitted.push(time);
    return 'accepted';
  });
}

describe('SlidingWindowLimiter', () => {
  it('admits `limit` events in any window and frees a slot exactly windowMs after each admission', () => {
    const limiter = new SlidingWindowLimiter(3, 1000);
    expect([0, 100, 200].map((t) => limiter.tryAdmit(t))).toEqual([true, true, true]);
    expect(limiter.tryAdmit(999)).toBe(false);
    expect(limiter.tryAdmit(1000)).toBe(true); // the event at 0 has left the window
    expect(limiter.tryAdmit(1050)).toBe(false);
    expect(limiter.tryAdmit(1100)).toBe(true);
    expect(limiter.tryAdmit(1200)).toBe(true);
    expect(limiter.tryAdmit(1999.9)).toBe(false);
  });

  it('never lets more than the limit through in any window, unlike a fixed-window counter', () => {
    const limiter = new SlidingWindowLimiter(10, 1000);
    const admitted: number[] = [];
    for (let t = 0; t < 5000; t += 7) if (limiter.tryAdmit(t)) admitted.push(t);
    for (const start of admitted) {
      expect(admitted.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(10);
    }
    expect(admitted.length).toBeGreaterThanOrEqual(45);
  });

  it('does not record rejected events', () => {
    const limiter = new SlidingWindowLimiter(1, 1000);
    expect(limiter.tryAdmit(0)).toBe(true);
    for (let t = 1; t < 1000; t += 50) expect(limiter.tryAdmit(t)).toBe(false);
    expect(limiter.tryAdmit(1000)).toBe(true);
  });
});

describe('PairRateLimiter', () => {
  it('allows a burst, then one per interval, per key', () => {
    const limiter = new PairRateLimiter({ burst: 2, intervalMs: 6000 });
    expect([limiter.tryTake('a', 0), limiter.tryTake('a', 1), limiter.tryTake('a', 2)]).toEqual([true, true, false]);
    expect(limiter.tryTake('b', 3)).toBe(true);
    expect(limiter.tryTake('a', 5999)).toBe(false);
    expect(limiter.tryTake('a', 6002)).toBe(true);
    expect(limiter.tryTake('a', 6003)).toBe(false);
    expect(limiter.tryTake('a', 30_000)).toBe(true);
    expect(limiter.tryTake('a', 30_000)).toBe(true); // refilled to the burst, not beyond
    expect(limiter.tryTake('a', 30_000)).toBe(false);
  });
});

describe('simulator: throughput and pair rate over HTTP', () => {
  let sim: Simulator | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  async function start(options: SimulatorOptions): Promise<Simulator> {
    sim = await startSimulator(options);
    return sim;
  }

  it('accepts ratePerSecond sends in a second, answers the next with 130429, and frees slots as the window slides (stepped clock)', async () => {
    const clock = steppedClock();
    const s = await start({ now: clock.now, phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 20 }] });

    const sendMany = async (count: number, from: number) =>
      (await Promise.all(Array.from({ length: count }, (_, i) => send(s, marketingBody(recipient(from + i)))))).map(outcomeOf);

    expect(await sendMany(10, 0)).toEqual(Array(10).fill('accepted')); // t = 0
    clock.advance(500);
    expect(await sendMany(10, 10)).toEqual(Array(10).fill('accepted')); // t = 500

    const limited = await send(s, marketingBody(recipient(20)));
    expect(limited.status).toBe(400);
    expect(limited.json.error).toMatchObject({
      code: 130429,
      message: '(#130429) Rate limit hit',
      error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
    });

    clock.advance(499); // t = 999: all 20 still inside the window
    expect(await sendMany(1, 21)).toEqual([130429]);
    clock.advance(1); // t = 1000: the 10 sent at t = 0 have left it
    const atOneSecond = await sendMany(11, 22);
    expect(atOneSecond.filter((o) => o === 'accepted')).toHaveLength(10);
    expect(atOneSecond.filter((o) => o === 130429)).toHaveLength(1);
    clock.advance(499); // t = 1499: the 10 sent at t = 500 are still inside
    expect(await sendMany(1, 40)).toEqual([130429]);
    clock.advance(1);
    expect(await sendMany(10, 41)).toEqual(Array(10).fill('accepted'));
  });

  it('enforces the window in real time too', async () => {
    // The real clock (the simulator's default), read through `now` so that the test knows the
    // exact time of every admission. How many sends land in one second depends on the machine's
    // load, so the outcomes are checked against a naive sliding window over those real times:
    // that holds however slow the machine is.
    const realTime = (): number => performance.timeOrigin + performance.now();
    const readings: number[] = [];
    const recordingClock = (): number => {
      const time = realTime();
      readings.push(time);
      return time;
    };
    const s = await start({ now: recordingClock, phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 20 }] });
    const matchesTheWindow = (): void => {
      const calls = s.calls();
      expect(readings).toHaveLength(calls.length); // one reading per send, in arrival order
      expect(calls.map((call) => call.at)).toEqual(readings.map(Math.floor));
      expect(calls.map((call) => call.outcome)).toEqual(slidingWindowOutcomes(readings, 20, 1000));
    };

    // A concurrent burst of 21: the first 20 always pass (the window starts empty); the 21st is
    // refused unless the machine took a whole second for them, in which case another burst
    // follows (at most 5), so that a refusal in real time is always observed.
    let next = 0;
    for (let burst = 0; burst < 5 && !s.calls().some((call) => call.outcome === 130429); burst += 1) {
      const outcomes = (await Promise.all(Array.from({ length: 21 }, () => send(s, marketingBody(recipient(next++)))))).map(outcomeOf);
      expect(outcomes.filter((o) => o !== 'accepted' && o !== 130429)).toEqual([]);
    }
    expect(
      s
        .calls()
        .slice(0, 20)
        .map((call) => call.outcome),
    ).toEqual(Array(20).fill('accepted'));
    expect(s.calls().filter((call) => call.outcome === 130429).length).toBeGreaterThan(0);
    matchesTheWindow();

    // One real second after the last admission every slot is free again, so 20 more pass
    // however late the timer fires or the requests arrive.
    const lastAdmission = Math.max(...readings.filter((_, i) => s.calls()[i]?.outcome === 'accepted'));
    while (realTime() < lastAdmission + 1000) await new Promise((resolve) => setTimeout(resolve, lastAdmission + 1000 - realTime() + 5));
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => send(s, marketingBody(recipient(1000 + i)))));
    expect(after.map(outcomeOf)).toEqual(Array(20).fill('accepted'));
    matchesTheWindow();
  });

  it('keeps a separate window per phone number id', async () => {
    const clock = steppedClock();
    const s = await start({
      now: clock.now,
      phoneNumbers: [
        { id: PHONE_ID, ratePerSecond: 2 },
        { id: '200', ratePerSecond: 1 },
      ],
    });
    const outcomes = [];
    for (const phoneNumberId of [PHONE_ID, PHONE_ID, PHONE_ID, '200', '200']) {
      outcomes.push(outcomeOf(await send(s, marketingBody(recipient(outcomes.length)), { phoneNumberId })));
    }
    expect(outcomes).toEqual(['accepted', 'accepted', 130429, 'accepted', 130429]);
  });

  it('answers 131056 once one recipient has used its burst, and lets one through per interval', async () => {
    const clock = steppedClock();
    const s = await start({ now: clock.now, pairBurst: 3, pairIntervalSeconds: 6 });
    const to = recipient(1);
    const burst = [];
    for (let i = 0; i < 4; i += 1) burst.push(await send(s, marketingBody(to)));
    expect(burst.map(outcomeOf)).toEqual(['accepted', 'accepted', 'accepted', 131056]);
    expect(burst[3]?.json.error?.message).toBe('(#131056) (Business Account, Consumer Account) pair rate limit hit');

    expect(outcomeOf(await send(s, marketingBody(recipient(2))))).toBe('accepted'); // another user is not affected
    expect(outcomeOf(await send(s, marketingBody(to.replace('+', ''))))).toBe(131056); // same user without "+"

    clock.advance(6000);
    expect(outcomeOf(await send(s, marketingBody(to)))).toBe('accepted');
    expect(outcomeOf(await send(s, marketingBody(to)))).toBe(131056);
  });

  it('uses Meta’s defaults (burst 45) and can be switched off', async () => {
    const clock = steppedClock();
    const s = await start({ now: clock.now, phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 1000 }] });
    const outcomes = [];
    for (let i = 0; i < 46; i += 1) outcomes.push(outcomeOf(await send(s, marketingBody(recipient(1)))));
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(45);
    expect(outcomes.at(-1)).toBe(131056);

    s.setScenario({ pairRateLimit: false, phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 1000 }] });
    for (let i = 0; i < 60; i += 1) expect(outcomeOf(await send(s, marketingBody(recipient(1))))).toBe('accepted');
  });

  it('clears throughput and pair state on reset()', async () => {
    const clock = steppedClock();
    const s = await start({ now: clock.now, phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 1 }], pairBurst: 1 });
    expect(outcomeOf(await send(s, marketingBody(recipient(1))))).toBe('accepted');
    expect(outcomeOf(await send(s, marketingBody(recipient(1))))).toBe(130429);
    s.reset();
    expect(outcomeOf(await send(s, marketingBody(recipient(1))))).toBe('accepted');
  });
});
