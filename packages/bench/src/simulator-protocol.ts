/** The messages between the benchmark and its simulator process (simulator-process.ts), over the IPC channel. */
import type { SimulatorStats, WebhookStats } from 'mm-api-simulator';

/** A request from the benchmark over the IPC channel. */
export type SimRequest =
  | { id: number; type: 'webhook-target'; url: string }
  | { id: number; type: 'progress' }
  | { id: number; type: 'summary' }
  | { id: number; type: 'stop' };

/** The simulator's counts while the run goes on. */
export interface SimProgress {
  stats: SimulatorStats;
  webhooks: WebhookStats;
  /** Distinct recipients with an accepted send. */
  acceptedRecipients: number;
}

/** Everything the run needs from the simulator once it is over. */
export interface SimSummary extends SimProgress {
  /** Every accepted send: recipient digits, arrival time (ms since the epoch) and phone number id, in arrival order. */
  accepted: Array<[digits: string, at: number, phoneNumberId?: string]>;
  /** Calls by phone number id and outcome (absent in older results). */
  byNumber?: Record<string, Record<string, number>>;
  /** Per second since the first call: sends by outcome (`accepted`, `130429`, …). */
  perSecond: { start: number; outcomes: Array<Record<string, number>> };
}

/** The answer to one {@link SimRequest}. */
export type SimReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
