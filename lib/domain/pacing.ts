/**
 * Fleet-wide pacing for one business phone number, as a shared "next free send time" (the
 * generic cell rate algorithm). Meta allows `rate` messages per second per number and answers
 * 130429 above it. Every sender reserves a block of consecutive send times, one interval
 * apart, by moving the number's next free time on; the fleet's sends are therefore evenly
 * spaced whoever sends them, no send time is wasted while the fleet is busy, and any sliding
 * one-second window holds at most `rate` sends. Pure: the adapter keeps the shared value.
 *
 * Times are integer microseconds since the epoch: 1,000,000 / rate is rarely a whole number
 * of milliseconds, and rounding it would drift the pace.
 */

/**
 * Share of Meta's rate the fleet paces to. Meta counts arrivals in a sliding window; sends
 * leave a little after their time (timers, the event loop, the network). At 97 % the sends of
 * a window are spread over 1,000 / 0.97 ≈ 1,031 ms, so a send may be up to ~30 ms late before
 * one window could hold one send too many.
 */
export const PACING_HEADROOM = 0.97;

/**
 * A send that could not leave within this many ms of its time gets a new one instead of
 * leaving late: half of the ~30 ms the headroom leaves, the other half being the network's.
 */
export const LATE_TOLERANCE_MS = 15;

/**
 * A block's first send is at least this far ahead of the reservation, so that its first jobs
 * can be claimed before their times come (a claim takes a few ms on DynamoDB, tens at its p99);
 * a send that waits for its claim would leave late. While the fleet is busy the next free time
 * is further ahead than this anyway.
 */
export const SEND_LEAD_MS = 50;

/**
 * A send's job is claimed this long before its send time, not when its batch reserves its
 * block: a batch of 100 would otherwise claim all its jobs in one burst, which stalls the
 * process's timers and the table alike, and a crash would leave every job of the batch claimed
 * but unsent (`unknown`) instead of the sends due within this lead. A claim takes a few ms on
 * DynamoDB; a second also rides out the pauses of DynamoDB Local while it applies a status batch
 * of 1,000 (claims of up to 0.8 s in the benchmark), which would otherwise make sends miss their times.
 */
export const CLAIM_LEAD_MS = 1_000;

/**
 * A number's reaction to 130429, kept on its control item (`phone#<id>`): the pace factor set
 * by the last reaction and when. A 130429 on an evenly paced fleet is usually network jitter,
 * but it can also mean that the number's real limit is lower than configured, or that another
 * system sends from the same number. So the fleet backs off multiplicatively and recovers
 * linearly (AIMD): an isolated 130429 costs about a second's worth of sends, while repeated
 * ones settle the pace where Meta stops refusing.
 */
export interface ThrottleState {
  throttleFactor?: number;
  /** Epoch ms. */
  throttledAt?: number;
}

/** Each reaction to a 130429 multiplies the pace by this. */
export const THROTTLE_BACKOFF = 0.85;
/** The pace never falls below this share of the rate. */
export const MIN_PACE_FACTOR = 0.2;
/** Without new 130429s the pace climbs back by this share per second: from one reaction to full in 5 s. */
export const PACE_RECOVERY_PER_SECOND = 0.03;
/** The fleet reacts at most once per this long: the 130429s of one burst are one signal, not several. */
export const THROTTLE_REACTION_GAP_MS = 1_000;

/** The share of the rate to pace at now, after the last reaction to a 130429. */
export function paceFactor(state: ThrottleState | undefined, now: number): number {
  if (state?.throttleFactor === undefined || state.throttledAt === undefined) return 1;
  return Math.min(1, state.throttleFactor + (PACE_RECOVERY_PER_SECOND * Math.max(0, now - state.throttledAt)) / 1000);
}

/** The state after a 130429, or undefined when the fleet reacted less than a gap ago. */
export function afterThrottle(state: ThrottleState | undefined, now: number): Required<ThrottleState> | undefined {
  if (state?.throttledAt !== undefined && now - state.throttledAt < THROTTLE_REACTION_GAP_MS) return undefined;
  return { throttleFactor: Math.max(MIN_PACE_FACTOR, paceFactor(state, now) * THROTTLE_BACKOFF), throttledAt: now };
}

/** The rate to pace at: with headroom, and scaled down after 130429s. */
export function effectiveRate(rate: number, factor = 1): number {
  return Math.max(1, Math.floor(rate * PACING_HEADROOM * factor));
}

/** Microseconds between two sends at `rate`, rounded up so the pace never exceeds the rate. */
export function sendIntervalMicros(rate: number): number {
  return Math.ceil(1_000_000 / rate);
}

/** The send times (epoch ms) of a block of `count` sends starting at `startMicros`. */
export function blockTimes(startMicros: number, count: number, intervalMicros: number): number[] {
  return Array.from({ length: count }, (_, i) => (startMicros + i * intervalMicros) / 1000);
}

/**
 * A reservation request: `count` sends at `intervalMicros`, none before `earliestMicros`
 * (now + SEND_LEAD_MS), none after `latestMicros` (the last time a send may start and finish in this
 * invocation).
 */
export interface BlockRequest {
  count: number;
  intervalMicros: number;
  earliestMicros: number;
  latestMicros: number;
}

/**
 * The next free time a block may be appended to: the block must start no earlier than
 * `earliestMicros` and its last send must start no later than `latestMicros`.
 */
export function appendWindow(request: BlockRequest): { from: number; to: number } {
  return { from: request.earliestMicros, to: request.latestMicros - (request.count - 1) * request.intervalMicros };
}

/**
 * How many of a request's sends can start between its earliest and latest times, one interval
 * apart: at most these are asked for. A larger block has an append window that ends before it
 * starts, a condition DynamoDB refuses as invalid (BETWEEN with its bounds reversed) instead of
 * answering with the next free time. At a low rate one batch spans longer than a send may wait
 * (100 sends at 4/s take 25 s, MAX_SLOT_WAIT_MS is 10 s).
 */
export function reachableCount(request: BlockRequest): number {
  return Math.min(request.count, fitting(request.earliestMicros, request));
}

/** What to do when the next free time was outside the append window. */
export type AfterRefusal =
  /** The number was idle (next free time before the earliest, or never set): start a block at the earliest. */
  | { kind: 'restart'; startMicros: number }
  /** Only `count` sends fit before the deadline: ask for those. */
  | { kind: 'fewer'; count: number }
  /** Nothing fits before the deadline. */
  | { kind: 'none' };

/**
 * A next free time further ahead than this cannot come from reservations (a block's last send
 * starts within MAX_SLOT_WAIT_MS, at most 20 s): it was set by a clock that ran ahead, or by
 * hand. It is started afresh rather than stalling the number until the clock catches up.
 */
export const PACE_HORIZON_MS = 60_000;

export function afterRefusal(nextFreeMicros: number | undefined, request: BlockRequest): AfterRefusal {
  const implausible = nextFreeMicros !== undefined && nextFreeMicros > request.earliestMicros + PACE_HORIZON_MS * 1000;
  if (nextFreeMicros === undefined || nextFreeMicros < request.earliestMicros || implausible) {
    const startMicros = request.earliestMicros;
    const fit = fitting(startMicros, request);
    return fit >= request.count ? { kind: 'restart', startMicros } : fit > 0 ? { kind: 'fewer', count: fit } : { kind: 'none' };
  }
  const fit = fitting(nextFreeMicros, request);
  return fit > 0 ? { kind: 'fewer', count: Math.min(fit, request.count) } : { kind: 'none' };
}

function fitting(startMicros: number, request: BlockRequest): number {
  if (startMicros > request.latestMicros) return 0;
  return Math.floor((request.latestMicros - startMicros) / request.intervalMicros) + 1;
}

/**
 * How many seconds of send times one send invocation's batch holds: its records are
 * `sendBatchSizeFor(rate)`, serverless.yml's `batchSize` for the send function (derived from the
 * rate like `maximumConcurrency`; a unit test keeps the two equal). While there is a backlog every
 * invocation is busy, mostly waiting for its send times, which Lambda bills: the billed time per
 * job is about `maximumConcurrency / rate` whatever the batch size, so a batch holding more
 * seconds costs no more and covers a longer hand-over (see `TURNAROUND_SECONDS`). 2.5 s is
 * 200 jobs at 80/s: each invocation's wait for its block stays well inside MAX_SLOT_WAIT_MS,
 * and a breaker still stops a number within a batch (it is re-read every second anyway).
 */
export const BATCH_SECONDS = 2.5;

/** Lambda's SQS event source takes up to 10,000; 1,000 jobs of 1-2 KB stay far below its 6 MB event. */
const MAX_SEND_BATCH_SIZE = 1_000;

/** The send function's batchSize for a rate: BATCH_SECONDS of send times, in tens, 10 to 1,000. At 80/s: 200. */
export function sendBatchSizeFor(rate: number): number {
  return Math.min(MAX_SEND_BATCH_SIZE, Math.max(10, Math.ceil((rate * BATCH_SECONDS) / 10) * 10));
}

/**
 * What one invocation needs between the last send time of its block and its first reservation
 * for the next batch, during which the rest of the fleet must hold the pace: Meta's answer to its
 * last send, the outcome and counter writes, the event source deleting the batch and gathering
 * the next, reading users and controls. Measured on a busy 2-core machine running the whole
 * local stack (docs/design.md#the-hand-over-between-invocations): p50 0.8-1.4 s, p90 1.5-3 s;
 * on Lambda, with DynamoDB's millisecond latencies, a fraction of that.
 */
export const TURNAROUND_SECONDS = 2.5;

/**
 * The send function's `maximumConcurrency` for a rate: the invocation sending its block, enough
 * others to hold the pace for `TURNAROUND_SECONDS` (each holds `batchSize / rate` s of send
 * times), and one spare for an invocation held up by a slow answer (up to
 * `META_REQUEST_TIMEOUT_MS`). More would only make every batch wait longer for its send times.
 * At 80/s: 3 (batches of 200); at 150/s: 3 (380); at 1,000/s: 5 (1,000). serverless.yml derives
 * the same value (infra/derived-params.cjs).
 */
export function maxConcurrencyFor(rate: number, batchSize = sendBatchSizeFor(rate)): number {
  return Math.min(1000, 2 + Math.ceil((rate * TURNAROUND_SECONDS) / batchSize));
}
