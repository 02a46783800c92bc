import type { ErasureReport } from '../domain/erasure.ts';

export type { ErasureReport };

export interface ErasureRequest {
  /** The number as the jobs dial it (E.164). */
  recipient: string;
  /** Keep a minimal entry of the user's opt-outs, so an erased user who opted out is not messaged again. */
  keepSuppression: boolean;
  now: number;
}

/**
 * Removes what the sender holds about one phone number: its jobs and their alias items, its
 * user items and its entries in the open-deadline records. Campaign counters hold only
 * aggregates and stay.
 */
export interface RecipientErasure {
  erase(request: ErasureRequest): Promise<ErasureReport>;
}
