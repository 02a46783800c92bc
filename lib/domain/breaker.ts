/**
 * Circuit breakers for failures that are not the job's fault (docs/meta-api.md#errors): an account-level
 * error (token, permission, locked account, payment, unregistered number) stops every send from
 * that phone number; a template-level error (paused, disabled, unavailable) pauses the
 * campaign. Jobs are kept and held, never failed. Sending resumes when a periodic probe (one
 * job, sent by whichever sender wins the probe lease) succeeds, or when an operator clears the
 * flag in DynamoDB. Pure.
 */
import type { ThrottleState } from './pacing.ts';

/** A phone number's control item, as the sender reads it (with its 130429 reaction, see pacing.ts). */
export interface PhoneControl extends ThrottleState {
  /** `open`: stopped. Operators resume by setting `closed` (or deleting the item). */
  state?: 'open' | 'closed';
  reasonCode?: number;
  nextProbeAt?: number;
  probeIntervalSeconds?: number;
}

/**
 * The fleet's control item (`fleet`): an operator's emergency stop of all sending, from every
 * number and campaign at once. Jobs are held, never failed, until it says `running` again (or is deleted).
 */
export interface FleetControl {
  state?: 'stopped' | 'running';
  reason?: string;
}

/** A campaign's control item. Operators pause, resume or cancel by editing `status`. */
export interface CampaignControl {
  status?: 'RUNNING' | 'PAUSED' | 'CANCELLED';
  /** `operator` pauses are never probed: only an operator resumes them. */
  pausedBy?: 'operator' | 'template_error';
  reasonCode?: number;
  nextProbeAt?: number;
  probeIntervalSeconds?: number;
}

export type Gate =
  | { action: 'send' }
  /** Send this one job to find out whether the number or template works again. */
  | { action: 'probe'; scope: 'phone' | 'campaign' }
  | { action: 'hold'; until: number; reason: string }
  | { action: 'cancel'; reason: string };

export const FIRST_PROBE_INTERVAL_SECONDS = 60;
export const MAX_PROBE_INTERVAL_SECONDS = 1_800;

/** The control items that bear on one job, as last read. */
export interface JobControls {
  fleet?: FleetControl | undefined;
  phone?: PhoneControl | undefined;
  campaign?: CampaignControl | undefined;
}

/** What a sender may do with a job of this campaign from this phone number, now. */
export function gateFor({ fleet, phone, campaign }: JobControls, now: number, holdMs: number): Gate {
  if (campaign?.status === 'CANCELLED') return { action: 'cancel', reason: 'campaign cancelled' };
  // After a cancel: a cancelled campaign's jobs end at once even while everything is stopped.
  if (fleet?.state === 'stopped') return { action: 'hold', until: now + holdMs, reason: 'all sending stopped by an operator' };
  if (campaign?.status === 'PAUSED') {
    if (campaign.pausedBy === 'operator' || campaign.nextProbeAt === undefined) {
      return { action: 'hold', until: now + holdMs, reason: 'campaign paused by an operator' };
    }
    if (campaign.nextProbeAt <= now) return { action: 'probe', scope: 'campaign' };
    return { action: 'hold', until: campaign.nextProbeAt, reason: `campaign paused after ${campaign.reasonCode ?? 'a template error'}` };
  }
  if (phone?.state === 'open') {
    if (phone.nextProbeAt === undefined) return { action: 'hold', until: now + holdMs, reason: 'phone number stopped' };
    if (phone.nextProbeAt <= now) return { action: 'probe', scope: 'phone' };
    return { action: 'hold', until: phone.nextProbeAt, reason: `phone number stopped after ${phone.reasonCode ?? 'an account error'}` };
  }
  return { action: 'send' };
}

/** The next probe interval: doubling from one minute up to 30 minutes. */
export function nextProbeInterval(previousSeconds: number | undefined): number {
  return previousSeconds === undefined ? FIRST_PROBE_INTERVAL_SECONDS : Math.min(MAX_PROBE_INTERVAL_SECONDS, previousSeconds * 2);
}
