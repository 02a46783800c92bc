import { ALL_STATES, JOB_STATES, type JobState } from './job-state.ts';

/**
 * How Meta's status webhooks move a job (docs/meta-api.md#webhooks-and-signatures). Webhooks come late, twice and out of
 * order, so the rules are about which *current* states a status may still change:
 * - progress only moves forward: accepted → sent → delivered → read;
 * - `read` implies delivered, and may arrive without a `delivered`;
 * - `delivered` means at least one device has the message, even if a `failed` came first
 *   (multi-device users) — so it overrides `failed`, `dropped` and a pending retry;
 * - `failed` never overrides `delivered` or `read`;
 * - a duplicate changes nothing.
 * A job being sent again right now (`sending`) is left alone: its new attempt decides.
 */
export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

const STILL_OPEN: readonly JobState[] = [JOB_STATES.accepted, JOB_STATES.sent, JOB_STATES.unknown];

const FROM: Record<DeliveryStatus, readonly JobState[]> = {
  sent: [JOB_STATES.accepted, JOB_STATES.unknown],
  delivered: ALL_STATES.filter((s) => s !== JOB_STATES.sending && s !== JOB_STATES.delivered && s !== JOB_STATES.read),
  read: ALL_STATES.filter((s) => s !== JOB_STATES.sending && s !== JOB_STATES.read),
  failed: STILL_OPEN,
};

/** The states from which `status` moves a job on; for any other state the status is a no-op. */
export function statesMovedBy(status: DeliveryStatus): readonly JobState[] {
  return FROM[status];
}

/** Whether a status changes a job in `current`. */
export function statusApplies(current: JobState, status: DeliveryStatus): boolean {
  return FROM[status].includes(current);
}

export function isDeliveryStatus(value: string): value is DeliveryStatus {
  return isProgressStatus(value) || value === 'failed';
}

/** sent, delivered or read: a status that only ever moves a job forward, with no decision to make. */
export function isProgressStatus(value: string): value is ProgressReport['status'] {
  return value === 'sent' || value === 'delivered' || value === 'read';
}

/** The route Meta used, from `pricing.category` (docs/meta-api.md#webhooks-and-signatures). */
export type Route = 'marketing_messages_api' | 'cloud_api_fallback';

export function routeOf(pricingCategory: string | undefined): Route | undefined {
  if (pricingCategory === 'marketing_lite') return 'marketing_messages_api';
  if (pricingCategory === 'marketing') return 'cloud_api_fallback';
  return undefined;
}

/** Open jobs wait for a delivery verdict; the sweep marks them `dropped` once their validity ends. */
export function isOpen(state: JobState): boolean {
  return state === JOB_STATES.accepted || state === JOB_STATES.sent;
}

/** One progress status as Meta reported it: what, when (epoch ms) and through which route. */
export interface ProgressReport {
  status: 'sent' | 'delivered' | 'read';
  at: number;
  route?: Route | undefined;
}

/** What a run of progress statuses for one message amounts to: one state and its times. */
export interface ProgressChange {
  state: typeof JOB_STATES.sent | typeof JOB_STATES.delivered | typeof JOB_STATES.read;
  sentAt?: number;
  deliveredAt?: number;
  readAt?: number;
  route?: Route;
}

const PROGRESS_RANK = { sent: 1, delivered: 2, read: 3 } as const;

/**
 * Folds progress statuses for one message (in the order they arrived) into the single change
 * they make together, so a batch writes the job once. Because `statesMovedBy` only widens from
 * sent to delivered to read, a job that the furthest status moves ends in that status whatever
 * the order, and a job it does not move is moved by none of them. Each time is the first one
 * reported; a `read` without a `delivered` also dates the delivery. Undefined for no statuses.
 */
export function combineProgress(reports: readonly ProgressReport[]): ProgressChange | undefined {
  let furthest: ProgressReport | undefined;
  const firstAt: Partial<Record<ProgressReport['status'], number>> = {};
  let route: Route | undefined;
  for (const report of reports) {
    if (!furthest || PROGRESS_RANK[report.status] > PROGRESS_RANK[furthest.status]) furthest = report;
    firstAt[report.status] ??= report.at;
    if (report.route) route = report.route;
  }
  if (!furthest) return undefined;
  const state = furthest.status;
  const deliveredAt = state === 'sent' ? undefined : (firstAt.delivered ?? firstAt.read);
  return {
    state,
    ...(firstAt.sent === undefined ? {} : { sentAt: firstAt.sent }),
    ...(deliveredAt === undefined ? {} : { deliveredAt }),
    ...(firstAt.read === undefined ? {} : { readAt: firstAt.read }),
    ...(route ? { route } : {}),
  };
}
