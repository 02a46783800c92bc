import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { SendPathFollowers } from '../campaigns/steer.ts';
import type { OptOutPolicy } from '../domain/opt-out.ts';
import type { RetryPolicy } from '../domain/send-plan.ts';
import type { ServedAccounts } from '../domain/whatsapp-accounts.ts';
import type { JobStore } from '../jobs/job-store.ts';
import type { CampaignCounters } from '../ports/campaign-counters.ts';
import type { CampaignStore } from '../ports/campaign-store.ts';
import type { JobQueues } from '../ports/job-queues.ts';
import type { StatusQueue } from '../ports/status-queue.ts';
import type { UserStore } from '../ports/user-store.ts';

/** What applying one webhook event needs: the stores, the retry and opt-out rules, a clock. */
export interface StatusDeps {
  jobs: JobStore;
  users: UserStore;
  /** The campaign items a template webhook pauses, resumes or fails (`applyTemplateEvent`). */
  campaigns: Pick<CampaignStore, 'listOpen' | 'get' | 'applyStatus'>;
  /** The campaign controls and the feed queue, so the send path follows a template webhook's move. */
  campaignFollowers: SendPathFollowers;
  queues: Pick<JobQueues, 'dispatch'>;
  retryPolicy: RetryPolicy;
  optOutPolicy: OptOutPolicy;
  /** A status without a dispatch reference settles an `unknown` job claimed this long before it (`unknown-match.ts`); 0: never. */
  unknownMatchWindowMs: number;
  /** An opt-out belongs to the account of the number that received it. */
  accounts: ServedAccounts;
  logger: Logger;
  now: () => number;
  random: () => number;
  newId: () => string;
}

/** The status function's runtime: the events' needs plus what the batch does once (counters, metrics, the queue). */
export interface StatusRuntime extends StatusDeps {
  counters: CampaignCounters;
  metrics: Metrics;
  statusQueue: Pick<StatusQueue, 'retryLater' | 'deadLetter'>;
}
