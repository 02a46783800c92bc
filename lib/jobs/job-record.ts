import type { Route } from '../domain/delivery-state.ts';
import type { JOB_STATES, JobState } from '../domain/job-state.ts';
import type { Decision } from '../domain/send-plan.ts';
import type { ValidJob } from '../domain/validate-job.ts';
import type { StoredContract } from './job-item.ts';

/**
 * The job item as stored, keyed by recipient (partition) and campaign (sort key): a status
 * webhook names the recipient, so the status path finds a message's job among that recipient's
 * few jobs with no index on `wamid` (an index entry would cost a write unit per message). It
 * stays under 1 KB (one write unit per update, `job-item.ts`), so nothing is kept twice. Times
 * are ISO strings so operators can read them in the console; Meta's times (`sentAt`,
 * `deliveredAt`, `readAt`) have whole seconds.
 */
export interface JobRecord extends Partial<StoredContract> {
  /** Not stored: `campaignId#recipient`, the one string the code and the logs use for a job. */
  jobKey: string;
  campaignId: string;
  /** E.164, as the job named it. */
  recipient: string;
  phoneNumberId: string;
  state: JobState;
  attempt: number;
  retries: number;
  /** The state the last claim for sending took the job from (`none` for a first claim): its gauge while `sending`. */
  claimedFrom?: JobState | 'none';
  /** Identity of the queue message that holds (or last held) the claim. */
  claimToken: string;
  /** Only the queue message carrying this id may claim a waiting job. */
  nextDispatchId?: string;
  createdAt: string;
  validUntil: string;
  claimedAt?: string;
  dueAt?: string;
  wamid?: string;
  messageStatus?: string;
  /** Latest acceptance. Never removed: its presence means the recipient was accepted once (unique counts). */
  acceptedAt?: string;
  sentAt?: string;
  deliveredAt?: string;
  readAt?: string;
  /** `marketing_messages_api`, or `cloud_api_fallback` when Meta routed through the Cloud API. */
  route?: Route;
  lastErrorCode?: number;
  lastErrorReason?: string;
  /** How an `unknown` job learnt its wamid from a status (docs/design.md#reconciling-unknown-jobs). */
  reconciledBy?: ReconciledBy;
  /** When an `unknown` job was put back on the send queue: set once, so it is never re-sent twice. */
  resentAt?: string;
  /** The UTC day (`YYYY-MM-DD`) and time it became `unknown`: the keys of the sparse index of unknown jobs, kept until its next claim. */
  unknownDay?: string;
  unknownSince?: string;
  /** MM API calls made for this job: more than one only after a 131049 (one per attempt) or a transient error. */
  apiCalls: number;
  /** TTL (epoch seconds): job items hold phone numbers, so they expire. */
  expiresAt: number;
}

export type ClaimResult = { claimed: true; record: JobRecord; previousState?: JobState } | { claimed: false; existing: JobRecord };

export interface ClaimRequest {
  job: ValidJob;
  token: string;
  now: number;
  createdAt: number;
  validUntil: number;
  /** `sending` for a real claim; another state records a job settled or postponed before any API call. */
  state:
    | typeof JOB_STATES.sending
    | typeof JOB_STATES.expired
    | typeof JOB_STATES.suppressed
    | typeof JOB_STATES.deferred
    | typeof JOB_STATES.cancelled;
  reason?: string;
  /** With `deferred`: when, and the id of the message that will carry it. */
  deferral?: { dueAt: number; nextDispatchId: string };
}

/** The outcome of a claimed send, written only while this message still holds the claim. */
export interface DecisionWrite {
  jobKey: string;
  /** The claim token of the message that sent. */
  token: string;
  decision: Decision;
  now: number;
  /** With a wait (`retry_wait`, `deferred`): the id of the message that will carry the next attempt. */
  nextDispatchId?: string;
}

/** A conditional write from a status webhook: the item before it, or (refused) the item as it is. */
export type WebhookWrite = { written: true; before: JobRecord } | { written: false; current: JobRecord | undefined };

/** How a status found the `unknown` job it belongs to. */
export type ReconciledBy = 'callback_data' | 'recipient_time';

/** One of a recipient's jobs, as a status is matched to an `unknown` one by time. */
export interface RecipientJob {
  jobKey: string;
  state: JobState;
  claimToken: string;
  claimedAt?: string;
}

/** An `unknown` job takes the wamid of a status that belongs to it, if it still holds this claim. */
export interface WamidAdoption {
  jobKey: string;
  /** The claim token the request went out under. */
  token: string;
  wamid: string;
  by: ReconciledBy;
  now: number;
}

/** Which `unknown` jobs (and re-sent ones still waiting) to list, as of `now`. */
export interface UnknownJobsQuery {
  now: number;
  /** Only this campaign's. */
  campaignId?: string;
  /** Only those that became `unknown` before this time (epoch ms). */
  unknownBefore?: number;
}

/** An `unknown` job put back on the send queue under `nextDispatchId`: once, in its validity, after the window. */
export interface ResendRequest {
  jobKey: string;
  /** The claim the job was left `unknown` under. */
  token: string;
  nextDispatchId: string;
  now: number;
  /** Only if it was claimed before this time (epoch ms): a status had that long to arrive. */
  claimedBefore: number;
}

/** A job the sweep may drop: its state and campaign, read eventually consistent. */
export interface OpenCandidate {
  jobKey: string;
  state: JobState;
  campaignId: string;
}

export function jobKeyOf(campaignId: string, recipient: string): string {
  return `${campaignId}#${recipient}`;
}

/** Sort key prefix of alias items (`recordAlias`); campaign ids cannot contain `#`. */
export const ALIAS_PREFIX = 'alias#';

/** The item's DynamoDB key. Job keys are `campaignId#recipient`; campaign ids cannot contain `#`. */
export function itemKeyOf(jobKey: string): { recipient: string; campaignId: string } {
  const separator = jobKey.indexOf('#');
  return { recipient: jobKey.slice(separator + 1), campaignId: jobKey.slice(0, separator) };
}
