import type { Campaign } from '../domain/campaign-contract.ts';
import type { CampaignFigures } from '../domain/campaign-figures.ts';
import type { CampaignActor, CampaignStatus } from '../domain/campaign-lifecycle.ts';
import type { ProgressFigures } from '../domain/campaign-progress.ts';
import type { AudienceCheckpoint } from './audience-source.ts';

/**
 * What the launch fixed for the rest of the campaign's life: the audience's version, the send
 * rate the preflight found, and the validity every job counts from the launch.
 */
export interface LaunchFacts {
  /** When the campaign launched (epoch ms); every job's `createdAt`. */
  launchedAt: number;
  /** The audience object's ETag at launch: a later read of another version fails the campaign. */
  audienceEtag: string;
  audienceSize: number;
  /** Sends per second the campaign's number may make (the number's tier, or lower if configured). */
  ratePerSecond: number;
  /** Seconds each job stays valid from `launchedAt` (the campaign's, or the template's TTL). */
  validitySeconds: number;
  /** The template's TTL as Meta reported it at launch. */
  templateTtlSeconds: number;
}

/**
 * The feeder's place in the audience and what it has done so far, written after every batch it
 * enqueued (conditional on the lease and on the previous row, so two feeders never both advance).
 */
export interface FeedState {
  checkpoint: AudienceCheckpoint;
  /** Jobs put on the send queue. */
  enqueued: number;
  /** Rows that could not become a job (in the rejection report). */
  rejected: number;
  /** Rows whose recipient an earlier row already had (found by the feeder or the send path). */
  duplicates: number;
  /** Jobs enqueued to wait for their recipient's send window, by the epoch second the window opens. */
  waitingUntil: Record<string, number>;
  /** Rejection report parts written so far (S3 keys), merged into one object at the end. */
  reportParts: string[];
  /** When the whole audience had been read (epoch ms). */
  fedAt?: number;
}

/** The feeder's lease on a campaign: one feeder at a time. */
export interface FeedLease {
  owner: string;
  /** Epoch ms after which another feeder may take the campaign over. */
  until: number;
}

/** Live progress on the item, for the console and `campaign show`: the figures of `campaignProgress`, the ETA as ISO text. */
export type CampaignProgress = Omit<ProgressFigures, 'done' | 'etaAt'> & {
  /** Estimated end of sending (ISO); absent when unknown. */
  eta?: string;
  /** When the accepted count last moved (ISO): the ticker's watch for a stalled campaign. */
  acceptedChangedAt?: string;
  updatedAt: string;
};

/** A refused status edit, written on the item so the operator sees why. */
export interface StatusRefusal {
  /** The value that was refused, as written. */
  asked: unknown;
  reason: string;
  at: string;
}

/**
 * One campaign item as read. `definition` is the campaign contract as written on the item; when it
 * no longer parses (a console edit broke it), `definitionProblem` says why and the campaign is not
 * launched or fed until it is fixed.
 */
export interface CampaignRecord {
  campaignId: string;
  /** What was asked (by an operator, or the sender itself); may be a value the sender does not know. */
  status: unknown;
  /** What the sender has acted on; absent on an item an operator wrote by hand (taken as SCHEDULED). */
  appliedStatus?: CampaignStatus;
  /** Why the campaign is paused or failed, for the operator. */
  statusReason?: string;
  definition?: Campaign;
  definitionProblem?: string;
  launch?: LaunchFacts;
  feed?: FeedState;
  lease?: FeedLease;
  progress?: CampaignProgress;
  refusal?: StatusRefusal;
  completedAt?: string;
  createdAt?: string;
  statusChangedAt?: string;
  /** The campaign's figures when it completed. */
  figures?: CampaignFigures;
}

/** A status change the sender applies: conditional on `status` and `appliedStatus` as they were read. */
export interface StatusChange {
  campaignId: string;
  from: CampaignStatus;
  to: CampaignStatus;
  /** The `status` attribute as read (what was asked); the write fails if it changed since. */
  asked: unknown;
  actor: CampaignActor;
  reason?: string;
  now: number;
}

/**
 * The campaigns table's campaign items (`item = "campaign"`): the one source of truth for a
 * campaign, edited by the CLI and by operators in the DynamoDB console. Every change is conditional.
 */
export interface CampaignStore {
  /** Writes a new campaign as SCHEDULED; false when the id exists already. */
  create(campaign: Campaign, now: number): Promise<boolean>;
  get(campaignId: string): Promise<CampaignRecord | undefined>;
  /** Every campaign whose `status` or `appliedStatus` is not final (COMPLETED, CANCELLED), without a table scan. */
  listOpen(): Promise<CampaignRecord[]>;
  /** Campaigns of any status, newest first, at most `limit`. */
  list(limit: number): Promise<CampaignRecord[]>;
  /** Asks for a status, as an operator's console edit would (the ticker applies it); false when there is no such campaign. */
  requestStatus(campaignId: string, status: string, now: number): Promise<boolean>;
  /** Applies a change (sets `status` and `appliedStatus` to `to`); false when the item changed since it was read. */
  applyStatus(change: StatusChange): Promise<boolean>;
  /** Applies a launch: LAUNCHING → SENDING with the facts the preflight found and the feed state to start from. */
  recordLaunch(change: StatusChange & { to: 'SENDING' }, facts: LaunchFacts, feed: FeedState): Promise<boolean>;
  /** Writes why an edit was refused (once per distinct refused value). */
  recordRefusal(campaignId: string, refusal: StatusRefusal): Promise<void>;
  /** Takes the feed lease if it is free or expired; the feed state as it stands, or undefined when another feeder holds it. */
  takeFeedLease(campaignId: string, lease: FeedLease, now: number): Promise<FeedState | undefined>;
  /** Saves the feed state if the lease is still ours and the checkpoint's row is still `previousRow`. */
  saveFeed(campaignId: string, lease: FeedLease, previousRow: number, feed: FeedState): Promise<boolean>;
  /** Gives the lease up (the feeder stops before its time). */
  releaseFeedLease(campaignId: string, owner: string): Promise<void>;
  /** Writes the live progress, and the final figures when the campaign completes. */
  saveProgress(campaignId: string, progress: CampaignProgress, figures?: CampaignFigures): Promise<void>;
}
