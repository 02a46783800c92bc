import type { ProgressChange } from '../domain/delivery-state.ts';
import type { JobState } from '../domain/job-state.ts';
import type { Decision } from '../domain/send-plan.ts';
import type {
  ClaimRequest,
  ClaimResult,
  DecisionWrite,
  JobRecord,
  OpenCandidate,
  RecipientJob,
  ResendRequest,
  UnknownJobsQuery,
  WamidAdoption,
  WebhookWrite,
} from './job-record.ts';

/**
 * The job items, as the send, status and sweep paths use them. Every write is conditional, so a
 * duplicate delivery or a stale worker changes nothing; the DynamoDB adapter is
 * `lib/adapters/dynamodb/job-store.ts`.
 */
export interface JobStore {
  /** A claim for sending, or a settlement without a call. */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Writes the outcome of a claimed send. False when the claim was lost meanwhile. */
  recordDecision(write: DecisionWrite): Promise<boolean>;
  /** A claim whose worker died mid-send: the request may have reached Meta. */
  markUnknown(jobKey: string, token: string, now: number, reason: string): Promise<boolean>;
  /** Moves the job with this wamid forward if its state allows it (`statesMovedBy`). */
  applyProgress(jobKey: string, wamid: string, change: ProgressChange): Promise<WebhookWrite>;
  /** Records the decision after a `failed` status if the job is still as observed (state and wamid). */
  applyFailure(observed: JobRecord, decision: Decision, now: number, nextDispatchId?: string): Promise<WebhookWrite>;
  /** Marks an accepted or sent job `dropped`; the state it left, or undefined if it was no longer open. */
  markDropped(jobKey: string, now: number): Promise<JobState | undefined>;
  /** The job that holds this wamid among the recipient's jobs or aliases (eventually consistent). */
  findByWamid(wamid: string, recipient: string): Promise<string | undefined>;
  /**
   * Lets statuses that name the recipient by another id find the job: Meta's `wa_id` differs
   * from the dialled number in a few countries (Brazil, Mexico). An item under that id that
   * points at the job, with the wamid it answers for.
   */
  recordAlias(job: Pick<JobRecord, 'jobKey' | 'expiresAt'>, waRecipient: string, wamid: string): Promise<void>;
  /** The dialled number a WhatsApp id stands for, if a send left an alias under it. */
  dialledNumberOf(waRecipient: string): Promise<string | undefined>;
  /** The recipient's jobs, without its aliases (one query, eventually consistent). */
  jobsOfRecipient(recipient: string): Promise<RecipientJob[]>;
  /** `unknown` → `accepted` with the status's wamid, if the job still holds the claim the request went out under. */
  adoptWamid(adoption: WamidAdoption): Promise<WebhookWrite>;
  /**
   * `unknown` jobs and those re-sent from it still waiting, from the sparse index of unknown jobs
   * (within the longest validity: older ones can never be re-sent), each read consistently.
   */
  unknownJobs(query: UnknownJobsQuery): Promise<JobRecord[]>;
  /** `unknown` → `retry_wait` for `nextDispatchId`, at most once per job; false when the conditions did not hold. */
  markForResend(request: ResendRequest): Promise<boolean>;
  /** State and campaign of these jobs, each once (eventually consistent, a projection: half a read unit each). */
  candidates(jobKeys: readonly string[]): Promise<OpenCandidate[]>;
  get(jobKey: string): Promise<JobRecord | undefined>;
}
