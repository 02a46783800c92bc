import { JOB_STATES } from './job-state.ts';

/**
 * Whether a job left `unknown` may be sent once more (docs/design.md#re-sending-unknown-jobs).
 * A status would have settled it had Meta taken the request; after `windowMs` without one, Meta
 * almost certainly did not. Never a second time (`resentAt` stays), never past its validity.
 */
export type ResendVerdict = 'resend' | 'too_recent' | 'past_validity' | 'already_resent' | 'not_unknown';

export interface ResendCandidate {
  state: string;
  claimedAt?: string;
  validUntil: string;
  resentAt?: string;
}

/** Meta's `sent` status comes within seconds; this leaves an outage of the status path an hour (docs/design.md). */
export const DEFAULT_RESEND_AFTER_SECONDS = 3_600;

export function resendVerdict(job: ResendCandidate, now: number, windowMs: number): ResendVerdict {
  if (job.state !== JOB_STATES.unknown) return 'not_unknown';
  if (job.resentAt) return 'already_resent';
  if (Date.parse(job.validUntil) <= now) return 'past_validity';
  if (!job.claimedAt || now - Date.parse(job.claimedAt) <= windowMs) return 'too_recent';
  return 'resend';
}
