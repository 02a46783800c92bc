import type { CampaignControl, FleetControl, PhoneControl } from '../domain/breaker.ts';

/** A phone number's breaker as an operator reads it: the send path's fields and why it opened. */
export type PhoneBreaker = PhoneControl & { phoneNumberId: string; reason?: string; openedAt?: string; closedAt?: string };

/** A campaign's control item as an operator reads it. */
export type CampaignBreaker = CampaignControl & { campaignId: string; reason?: string; openedAt?: string };

/** The emergency stop's item as an operator reads it. */
export type FleetSwitch = FleetControl & { changedAt?: string; changedBy?: string };

/**
 * The operator's side of the control table (`npm run ops`): what stops sending, and the moves an
 * operator makes on it. Every move is conditional on the state it leaves, so a command run twice,
 * or against a state it does not expect, changes nothing and says so.
 */
export interface ControlAdmin {
  /** Open phone breakers, and campaigns paused by Meta or an operator. */
  stopped(): Promise<{ phones: PhoneBreaker[]; campaigns: CampaignBreaker[] }>;
  phone(phoneNumberId: string): Promise<PhoneBreaker | undefined>;
  /** Closes an open breaker; false when it is not open (no item, or closed already). */
  closePhone(phoneNumberId: string, now: number): Promise<boolean>;
  fleet(): Promise<FleetSwitch | undefined>;
  /** Stops all sending; false when it is stopped already. */
  stopAll(reason: string, now: number): Promise<boolean>;
  /** Lets sending run again; false when it is not stopped. */
  startAll(now: number): Promise<boolean>;
}
