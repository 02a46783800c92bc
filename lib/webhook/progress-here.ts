import type { Logger } from '@aws-lambda-powertools/logger';
import { isProgressStatus } from '../domain/delivery-state.ts';
import { type MetaStatus, metaStatusSchema, type WebhookEvent } from '../domain/webhook-events.ts';
import { BatchTally } from '../jobs/batch-tally.ts';
import { applyProgressToNamedJob, type ProgressJobs } from '../status/progress-write.ts';

/** What writing progress statuses where they arrive needs. */
export interface ProgressHere {
  jobs: ProgressJobs;
  logger: Logger;
  /** Writes the counts of one POST (duplicates, stale statuses, fallbacks) as one EMF line; called only when there are some. */
  countProgress: (counts: ReadonlyMap<string, number>) => void;
}

/**
 * Writes the progress statuses of a POST whose callback data names their job, one conditional
 * write per message, and returns the events left for the status queue: every other kind of event,
 * a status that does not read as one (the status function dead-letters it with its reason), every
 * status of a message with a `failed` one or another status among them, and progress the named
 * item does not take as its own (an alias, an `unknown` job, a status before the send's own write)
 * or that could not be written (any error: the status function tries again from the queue). Each
 * message's statuses are written or queued together, so their order is the one they arrived in.
 */
export async function applyProgressHere(events: readonly WebhookEvent[], deps: ProgressHere): Promise<WebhookEvent[]> {
  const left: WebhookEvent[] = [];
  const messages = new Map<string, { statuses: MetaStatus[]; events: WebhookEvent[]; allProgress: boolean }>();
  for (const event of events) {
    const status = event.kind === 'status' ? metaStatusSchema.safeParse(event.status) : undefined;
    if (!status?.success) {
      left.push(event);
      continue;
    }
    const message = messages.get(status.data.id) ?? { statuses: [], events: [], allProgress: true };
    message.statuses.push(status.data);
    message.events.push(event);
    message.allProgress &&= isProgressStatus(status.data.status);
    messages.set(status.data.id, message);
  }
  const tally = new BatchTally();
  const notWritten = await Promise.all(
    [...messages].map(async ([wamid, message]) => {
      if (!message.allProgress) return message.events;
      try {
        return (await applyProgressToNamedJob(wamid, message.statuses, deps.jobs, tally)) ? [] : message.events;
      } catch (error) {
        deps.logger.warn('progress status not written at the webhook, queued instead', { error: error as Error });
        tally.metric('ProgressQueuedAfterWriteError', message.statuses.length);
        return message.events;
      }
    }),
  );
  if (tally.metrics.size > 0) deps.countProgress(tally.metrics);
  return [...left, ...notWritten.flat()];
}
