/**
 * The two limits Meta enforces on sends: throughput per business number (130429) and the pair
 * rate per business number and recipient (131056). Both take the current time as an argument so
 * that they stay exact and testable with a fake clock.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 */

/**
 * At most `limit` admissions in any window of `windowMs` (a half-open interval: an admission
 * at `t` leaves the window at `t + windowMs`). Keeps the last `limit` admission times in a
 * ring buffer, so a check is O(1) and the answer is exact, unlike a fixed-window counter that
 * lets up to twice the limit through around a window boundary. The project's pacing is
 * measured against this, so exactness matters more than modelling Meta's (unpublished) method.
 */
export class SlidingWindowLimiter {
  readonly limit: number;
  readonly windowMs: number;
  private readonly admittedAt: Float64Array;
  private next = 0;
  private count = 0;

  constructor(limit: number, windowMs = 1000) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
    this.limit = limit;
    this.windowMs = windowMs;
    this.admittedAt = new Float64Array(limit);
  }

  /** Admits and records the event if the window has room; otherwise records nothing. */
  tryAdmit(now: number): boolean {
    if (this.count === this.limit) {
      // `next` is also the oldest slot once the buffer is full.
      const oldest = this.admittedAt[this.next] ?? 0;
      if (now - oldest < this.windowMs) return false;
    } else {
      this.count += 1;
    }
    this.admittedAt[this.next] = now;
    this.next = (this.next + 1) % this.limit;
    return true;
  }
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/** Settings of {@link PairRateLimiter}. */
export interface PairRateSettings {
  /** Sends allowed back to back to one recipient (Meta: about 45). */
  burst: number;
  /** One more send becomes allowed every interval (Meta: about 6 s). */
  intervalMs: number;
}

// Full buckets carry no information; sweeping them keeps memory bounded on large campaigns.
const SWEEP_EVERY_NEW_KEYS = 10_000;

/**
 * Meta's "pair rate" (131056): a token bucket per (business number, recipient) that holds
 * `burst` tokens and refills one token per `intervalMs`.
 */
export class PairRateLimiter {
  private readonly settings: PairRateSettings;
  private readonly buckets = new Map<string, Bucket>();
  private newKeysSinceSweep = 0;

  constructor(settings: PairRateSettings) {
    this.settings = settings;
  }

  /** Takes a token for the pair if one is available. */
  tryTake(key: string, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.settings.burst, updatedAt: now };
      this.buckets.set(key, bucket);
      this.noteNewKey(now);
    } else {
      this.refill(bucket, now);
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private refill(bucket: Bucket, now: number): void {
    const elapsed = Math.max(0, now - bucket.updatedAt);
    bucket.tokens = Math.min(this.settings.burst, bucket.tokens + elapsed / this.settings.intervalMs);
    bucket.updatedAt = now;
  }

  private noteNewKey(now: number): void {
    this.newKeysSinceSweep += 1;
    if (this.newKeysSinceSweep < SWEEP_EVERY_NEW_KEYS) return;
    this.newKeysSinceSweep = 0;
    for (const [key, bucket] of this.buckets) {
      this.refill(bucket, now);
      if (bucket.tokens >= this.settings.burst) this.buckets.delete(key);
    }
  }
}
