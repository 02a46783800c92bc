import type { CampaignControl, FleetControl, PhoneControl } from '../domain/breaker.ts';
import type { ThrottleState } from '../domain/pacing.ts';

/** Which breaker: a phone number's or a campaign's. */
export type Scope = { kind: 'phone'; id: string } | { kind: 'campaign'; id: string };

export type PaceAnswer = { appended: true; startMicros: number } | { appended: false; nextFreeMicros: number | undefined };

export interface Controls {
  /** The emergency stop of all sending (`fleet` item); undefined when there is none. */
  fleet?: FleetControl | undefined;
  phones: Map<string, PhoneControl>;
  campaigns: Map<string, CampaignControl>;
}

/** The control table: breakers, campaign status, the reaction to 130429 and each number's pace. */
export interface ControlStore {
  /** One BatchGetItem for the fleet item and a batch's phone numbers and campaigns. */
  read(phoneNumberIds: readonly string[], campaignIds: readonly string[]): Promise<Controls>;
  /**
   * Moves the number's next free send time on by `spanMicros` if it lies within `window`
   * (see `appendWindow`). Returns the time before the move (where the block starts), or the
   * time found when it was outside the window (undefined: never set).
   */
  appendToPace(phoneNumberId: string, spanMicros: number, window: { from: number; to: number }): Promise<PaceAnswer>;
  /** Sets the next free send time to `nextFreeMicros` if it is still `expected` (a compare-and-set). */
  restartPace(phoneNumberId: string, expected: number | undefined, nextFreeMicros: number): Promise<boolean>;
  /** Opens a breaker (no-op if open already); true when this call opened it. */
  open(scope: Scope, code: number, reason: string, now: number): Promise<boolean>;
  /** Wins the probe lease when the probe is due: moves `nextProbeAt` on, conditionally. */
  takeProbe(scope: Scope, now: number, currentIntervalSeconds: number | undefined): Promise<boolean>;
  /** After a successful probe: closes the breaker. */
  close(scope: Scope, now: number): Promise<void>;
  /**
   * Sets a campaign's control as its lifecycle says (RUNNING, PAUSED by its operator or Meta, or
   * CANCELLED), so that its jobs already on the queue are held or cancelled by the send path.
   */
  setCampaignStatus(campaignId: string, status: 'RUNNING' | 'PAUSED' | 'CANCELLED', reason: string, now: number): Promise<void>;
  /** Records a reaction to 130429 if no other sender reacted since `seenThrottledAt` (a compare-and-set); true when this call did. */
  throttleBack(phoneNumberId: string, seenThrottledAt: number | undefined, next: Required<ThrottleState>): Promise<boolean>;
}
