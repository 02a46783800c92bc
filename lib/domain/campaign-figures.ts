import type { JobState } from './job-state.ts';

/** A campaign's figures, from its summed counters (see BatchTally for how they are kept). */
export interface CampaignFigures {
  /** Unique recipients by the state their job is in now; zero states left out. */
  byState: Partial<Record<JobState, number>>;
  /** Recipients whose job is `failed`, by Meta error code. */
  failedByCode: Record<string, number>;
  /** Recipients Meta accepted at least once (any attempt). */
  uniqueAccepted: number;
  /** Recipients with a delivered or read status. */
  uniqueDelivered: number;
  /** uniqueDelivered ÷ uniqueAccepted; undefined before anything was accepted. Retries do not inflate it. */
  deliveryRate: number | undefined;
  retries: { scheduled: number; acceptedOnRetry: number; deliveredAfterRetry: number };
  perUserLimitHits: number;
  /** Deferred before sending because of a recent 131049. */
  deferredBeforeSending: number;
  /** Invalid jobs sent to the DLQ. */
  rejected: number;
}

/**
 * Turns a campaign's counters into figures. Pure.
 *
 * @example campaignFigures({ state_delivered: 9, state_failed: 1, failedCode_131026: 1, uniqueAccepted: 10, uniqueDelivered: 9 }).deliveryRate // 0.9
 */
export function campaignFigures(counters: Readonly<Record<string, number>>): CampaignFigures {
  const byState: Partial<Record<JobState, number>> = {};
  const failedByCode: Record<string, number> = {};
  for (const [name, value] of Object.entries(counters)) {
    if (value === 0) continue;
    if (name.startsWith('state_')) byState[name.slice('state_'.length) as JobState] = value;
    if (name.startsWith('failedCode_')) failedByCode[name.slice('failedCode_'.length)] = value;
  }
  const get = (name: string) => counters[name] ?? 0;
  const uniqueAccepted = get('uniqueAccepted');
  const uniqueDelivered = get('uniqueDelivered');
  return {
    byState,
    failedByCode,
    uniqueAccepted,
    uniqueDelivered,
    deliveryRate: uniqueAccepted > 0 ? uniqueDelivered / uniqueAccepted : undefined,
    retries: {
      scheduled: get('retriesScheduled'),
      acceptedOnRetry: get('acceptedOnRetry'),
      deliveredAfterRetry: get('deliveredAfterRetry'),
    },
    perUserLimitHits: get('perUserLimitHits'),
    deferredBeforeSending: get('deferredBeforeSending'),
    rejected: get('rejected'),
  };
}
