import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobQueues } from '../adapters/job-queues.ts';
import type { JobStore } from '../adapters/job-store.ts';
import type { UserStore } from '../adapters/user-store.ts';
import type { OptOutPolicy } from '../domain/opt-out.ts';
import type { RetryPolicy } from '../domain/send-plan.ts';

export interface StatusDeps {
  jobs: JobStore;
  users: UserStore;
  queues: Pick<JobQueues, 'dispatch'>;
  retryPolicy: RetryPolicy;
  optOutPolicy: OptOutPolicy;
  logger: Logger;
  now: () => number;
  random: () => number;
  newId: () => string;
}

/** A status for a wamid not recorded yet: handed back to the queue, retried later, never dropped. */
export class WamidNotFound extends Error {
  override name = 'WamidNotFound';
}

/** Bad events cannot become good by retrying; they are dead-lettered by the batch with this reason. */
export class InvalidWebhookEvent extends Error {
  override name = 'InvalidWebhookEvent';
}

/** Statuses for one job arrive together: after a few lost races, try again a little later. */
export class JobKeptChanging extends Error {
  override name = 'JobKeptChanging';
}
