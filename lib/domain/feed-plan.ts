import { planForSendWindow, type SendWindow } from './send-window.ts';

/**
 * How the campaign feeder paces itself and times each job. Pure: the caller reads the counters,
 * the clock and the campaign, and acts on the answers.
 */

/** SQS takes at most 10 messages per SendMessageBatch. */
export const FEED_BATCH_SIZE = 10;

/**
 * Seconds of the campaign's share of sending kept on the send queue. Two minutes: a pause takes
 * effect on at most two minutes of queued jobs, the validity is not spent waiting in the queue,
 * and a campaign launched beside a big one on the same number starts within two minutes.
 */
export const DEFAULT_FEED_HORIZON_SECONDS = 120;

export interface FeedBudgetInput {
  /** Sends per second the number may make. */
  ratePerSecond: number;
  /** This campaign's weight, and the sum of the weights of the SENDING campaigns on the number (this one included). */
  shareWeight: number;
  totalWeight: number;
  horizonSeconds: number;
  /** Jobs the feeder has put on the send queue so far. */
  enqueued: number;
  /** Jobs that have a state record, or that the send path rejected or found duplicate. */
  settled: number;
  /** Jobs enqueued with a `notBefore` still in the future: they wait for a window and are in nobody's way. */
  waitingForWindow: number;
}

/** The campaign's sends per second: its weighted share of the number's rate. */
export function campaignShare({ ratePerSecond, shareWeight, totalWeight }: FeedBudgetInput): number {
  if (!(ratePerSecond > 0) || !(shareWeight > 0)) return 0;
  // The total includes this campaign; a total read a moment before its launch may not yet.
  return (ratePerSecond * shareWeight) / Math.max(totalWeight, shareWeight);
}

/**
 * How many more jobs to enqueue now: enough to keep `share × horizon` jobs queued. Never negative;
 * when nothing is queued at all, at least one batch, so a campaign whose share rounds down to no
 * job still moves.
 *
 * @example feedBudget({ ratePerSecond: 80, shareWeight: 1, totalWeight: 2, horizonSeconds: 120, enqueued: 5000, settled: 4000, waitingForWindow: 0 })
 * // 3800: 40/s × 120 s = 4800 to keep queued, 1000 are
 */
export function feedBudget(input: FeedBudgetInput): number {
  const target = Math.floor(campaignShare(input) * input.horizonSeconds);
  const queued = Math.max(0, input.enqueued - input.settled - input.waitingForWindow);
  const budget = Math.max(0, target - queued);
  return queued === 0 ? Math.max(budget, FEED_BATCH_SIZE) : budget;
}

/** When a job may be sent: now, from an instant (epoch ms), or never (it is not enqueued). */
export type SendTiming = { send: 'now' } | { send: 'at'; notBefore: number } | { send: 'never'; reason: string };

export interface SendTimingInput {
  /** The campaign's send window; none means any time. */
  sendWindow?: SendWindow | undefined;
  /** The recipient's time zones (see `recipientTimeZones`). */
  timeZones: readonly string[];
  now: number;
  /** When the job's validity ends (epoch ms). */
  validUntil: number;
}

const NEVER_REASONS = {
  'validity-over': "the message's validity ended before its row was read",
  'window-opens-after-validity': "the send window opens only after the message's validity ends",
  'window-never-opens': "the send window is never open in all of the recipient's time zones at once",
} as const;

/**
 * The job's timing under quiet hours: a recipient outside the window gets a `notBefore` at the
 * window's opening; one whose window opens only after the validity is never enqueued (the report
 * counts it expired). Jobs released by the same opening need no spreading here: the send path's
 * per-number pacer holds the pace whatever arrives at once.
 */
export function notBeforeFor({ sendWindow, timeZones, now, validUntil }: SendTimingInput): SendTiming {
  if (now >= validUntil) return { send: 'never', reason: NEVER_REASONS['validity-over'] };
  if (!sendWindow) return { send: 'now' };
  const plan = planForSendWindow({ window: sendWindow, timeZones, now, validUntil });
  if (plan.action === 'send') return { send: 'now' };
  if (plan.action === 'wait') return { send: 'at', notBefore: plan.until };
  return { send: 'never', reason: NEVER_REASONS[plan.reason] };
}

/** Jobs waiting for a window, by the epoch second it opens (as `FeedState.waitingUntil` keeps them). */
export type WaitingForWindow = Readonly<Record<string, number>>;

/** Counts one more job waiting until `notBefore` (epoch ms), keyed by its second. */
export function addWaiting(waitingUntil: WaitingForWindow, notBefore: number): Record<string, number> {
  const second = String(Math.ceil(notBefore / 1000));
  return { ...waitingUntil, [second]: (waitingUntil[second] ?? 0) + 1 };
}

/** The windows still closed at `nowSeconds` (those that have opened are dropped), and how many jobs wait for them. */
export function waitingAfter(
  waitingUntil: WaitingForWindow,
  nowSeconds: number,
): { waitingUntil: Record<string, number>; waiting: number } {
  const still = Object.entries(waitingUntil).filter(([second]) => Number(second) > nowSeconds);
  return { waitingUntil: Object.fromEntries(still), waiting: still.reduce((sum, [, count]) => sum + count, 0) };
}

export interface CompletionInput {
  remainingRows: number;
  ratePerSecond: number;
  now: number;
  /** The campaign's send window, if any. */
  window?: SendWindow | undefined;
}

const MINUTES_PER_DAY = 24 * 60;

/**
 * A rough end of sending (epoch ms): the rows left at the rate, stretched by the share of the day
 * the window is closed (a 12-hour window doubles the time). It ignores time zones, retries and
 * rejected rows: good for "about when", not for a promise. Undefined without a rate.
 */
export function estimateCompletion({ remainingRows, ratePerSecond, now, window }: CompletionInput): number | undefined {
  if (!(ratePerSecond > 0)) return undefined;
  const sendingSeconds = Math.max(0, remainingRows) / ratePerSecond;
  const openShare = window ? openMinutesPerDay(window) / MINUTES_PER_DAY : 1;
  return now + Math.ceil((sendingSeconds / openShare) * 1000);
}

function openMinutesPerDay({ from, until }: SendWindow): number {
  const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3, 5));
  return (minutes(until) - minutes(from) + MINUTES_PER_DAY) % MINUTES_PER_DAY || MINUTES_PER_DAY;
}
