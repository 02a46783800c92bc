/**
 * Fleet-wide pacing for one business phone number. Meta allows `rate` messages per second per
 * number and answers 130429 above it. Every sender reserves numbered slots in the current
 * second from one shared counter; slot n of second s is sent at s + n/rate, so the fleet's
 * sends are spread evenly and any sliding one-second window holds at most `rate` of them
 * (plus the jitter of network latency). Pure: the adapter does the counting.
 */

/** When slot `slot` of `second` (epoch seconds) is due, in epoch ms. */
export function slotTime(second: number, slot: number, rate: number): number {
  return second * 1000 + Math.floor((slot * 1000) / rate);
}

/** The slots of `count` newly reserved ones (the counter went to `counterAfter`) that fit under `rate`. */
export function grantedSlots(counterAfter: number, count: number, rate: number): number[] {
  const slots: number[] = [];
  for (let slot = counterAfter - count; slot < counterAfter && slot < rate; slot++) slots.push(slot);
  return slots;
}

/**
 * Share of Meta's rate the fleet paces to. Sends leave a few milliseconds after their slot
 * (timers, the event loop, the network), and Meta counts arrivals in a sliding window: 3 %
 * headroom keeps that jitter from ever crossing the limit.
 */
export const PACING_HEADROOM = 0.97;

/** The rate to pace at: with headroom, and halved for a while after a 130429 so the fleet backs off together. */
export function effectiveRate(rate: number, slowUntil: number | undefined, now: number): number {
  const paced = Math.max(1, Math.floor(rate * PACING_HEADROOM));
  return slowUntil !== undefined && slowUntil > now ? Math.max(1, Math.floor(paced / 2)) : paced;
}

/** How long the fleet paces at half rate after a 130429. */
export const SLOWDOWN_MS = 10_000;

/**
 * The send function's `maximumConcurrency` for a rate: one invocation sends a batch of 10 paced
 * over 10/rate s plus Meta's latency (~0.1–0.3 s); a margin covers slow answers. At 80/s: 6; at
 * 1,000/s: 52. serverless.yml derives the same value (infra/derived-params.cjs).
 */
export function maxConcurrencyFor(rate: number): number {
  return Math.min(1000, Math.max(2, Math.ceil(rate / 20) + 2));
}
