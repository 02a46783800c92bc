import { estimateCompletion } from './feed-plan.ts';
import { JOB_STATES, type JobState } from './job-state.ts';
import type { SendWindow } from './send-window.ts';

/** What the feeder has done, as it stands on the campaign item. */
export interface FedSoFar {
  rowsRead: number;
  /** Bytes of the audience read so far, and its size: the rows left are estimated from them. */
  offset: number;
  size: number;
  enqueued: number;
  rejected: number;
  duplicates: number;
  /** When the whole audience had been read (epoch ms). */
  fedAt?: number;
}

export interface ProgressInput {
  fed: FedSoFar;
  /** The campaign's summed counters (state gauges and counts; see BatchTally). */
  counters: Readonly<Record<string, number>>;
  now: number;
  /** When every job's validity ends (epoch ms): nothing can be sent or delivered after it. */
  validUntil: number;
  ratePerSecond: number;
  /** The campaign's send window: the ETA stretches by the hours it is closed. */
  sendWindow?: SendWindow | undefined;
}

export interface ProgressFigures {
  rowsRead: number;
  enqueued: number;
  rejected: number;
  duplicates: number;
  accepted: number;
  delivered: number;
  read: number;
  failed: number;
  /** Jobs without an outcome yet: on the queue, held, waiting for a window or a retry, or accepted and not yet delivered. */
  waiting: number;
  /** Jobs that could go to Meta now (on the queue, held, waiting to retry; not the 24 h deferrals) and rows not yet read. */
  readyToSend: number;
  /** The share of the audience's rows with an outcome (rejected and duplicate rows included), 0–100, one decimal. */
  percentDone: number;
  /** Estimated end of sending (epoch ms); undefined once everything was sent or nothing is known yet. */
  etaAt?: number;
  /** Fed, and every job has its outcome or its validity is over. */
  done: boolean;
}

/**
 * How long after the validity a campaign still waits for its last outcomes: the dropped sweep
 * marks what Meta never delivered 5 minutes after the deadline and runs every 15, so the final
 * figures include the dropped ones.
 */
export const COMPLETION_GRACE_MS = 30 * 60_000;

/** States after which nothing more is expected for the job (a read may still follow a delivered). */
const OUTCOME_STATES: readonly JobState[] = [
  JOB_STATES.delivered,
  JOB_STATES.read,
  JOB_STATES.failed,
  JOB_STATES.dropped,
  JOB_STATES.expired,
  JOB_STATES.unknown,
  JOB_STATES.suppressed,
  JOB_STATES.limitExhausted,
  JOB_STATES.cancelled,
];

/**
 * A campaign's live progress from its feed state and counters, and whether it is complete: the
 * whole audience fed, and every job at an outcome (or its validity over, after which Meta drops
 * whatever it has not delivered, and the sweep has had time to count that). Pure.
 */
export function campaignProgress({ fed, counters, now, validUntil, ratePerSecond, sendWindow }: ProgressInput): ProgressFigures {
  const count = (name: string) => counters[name] ?? 0;
  const inStates = (states: readonly JobState[]) => states.reduce((sum, state) => sum + count(`state_${state}`), 0);
  const recorded = Object.entries(counters).reduce((sum, [name, value]) => (name.startsWith('state_') ? sum + value : sum), 0);
  const settledOnQueue = count('rejected') + count('duplicates');
  const notYetRecorded = Math.max(0, fed.enqueued - recorded - settledOnQueue);
  const waiting = Math.max(0, fed.enqueued - settledOnQueue - inStates(OUTCOME_STATES));
  const sendableNow = notYetRecorded + count(`state_${JOB_STATES.retryWait}`);
  const toSend = sendableNow + count(`state_${JOB_STATES.deferred}`);
  const rowsLeft = fed.fedAt !== undefined ? 0 : estimateRowsLeft(fed);
  // Before the first row nothing is known of the file: one row left stands for "not yet read".
  const rowsNotRead = rowsLeft ?? 1;
  const readyToSend = sendableNow + rowsNotRead;
  const sendingLeft = rowsLeft === undefined ? undefined : rowsLeft + toSend;
  const etaAt =
    sendingLeft !== undefined && sendingLeft > 0
      ? estimateCompletion({ remainingRows: sendingLeft, ratePerSecond, now, window: sendWindow })
      : undefined;
  return {
    rowsRead: fed.rowsRead,
    enqueued: fed.enqueued,
    rejected: fed.rejected + count('rejected'),
    duplicates: fed.duplicates + count('duplicates'),
    accepted: count('uniqueAccepted'),
    delivered: count('uniqueDelivered'),
    read: count(`state_${JOB_STATES.read}`),
    failed: count(`state_${JOB_STATES.failed}`),
    waiting,
    readyToSend,
    percentDone: percentOf(fed.rowsRead - waiting, fed.rowsRead + rowsNotRead),
    ...(etaAt === undefined ? {} : { etaAt }),
    done: fed.fedAt !== undefined && (waiting === 0 || now >= validUntil + COMPLETION_GRACE_MS),
  };
}

function percentOf(part: number, whole: number): number {
  return whole > 0 ? Math.round((1_000 * Math.max(0, part)) / whole) / 10 : 0;
}

/** Rows left in the file, from the bytes left and the bytes per row so far; undefined before the first row. */
function estimateRowsLeft(fed: FedSoFar): number | undefined {
  if (fed.rowsRead === 0 || fed.offset === 0) return undefined;
  return Math.ceil(Math.max(0, fed.size - fed.offset) / (fed.offset / fed.rowsRead));
}
