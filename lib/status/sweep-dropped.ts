import type { Logger } from '@aws-lambda-powertools/logger';
import type { CampaignCounters } from '../adapters/campaign-counters.ts';
import { type JobStore, OPEN_SHARDS } from '../adapters/job-store.ts';
import { isOpen } from '../domain/delivery-state.ts';
import { JOB_STATES } from '../domain/job-state.ts';
import { BatchTally } from '../send/batch-tally.ts';

export interface SweepDeps {
  jobs: JobStore;
  counters: CampaignCounters;
  logger: Logger;
  now: () => number;
}

export interface SweepResult {
  examined: number;
  dropped: number;
}

/**
 * Marks accepted jobs whose validity ended without a delivered or read status as `dropped`:
 * Meta drops a message it cannot deliver within the template's TTL and says nothing. Runs on
 * a schedule; reads the sparse `byOpenDeadline` index shard by shard, never the whole table.
 */
export async function sweepDropped(deps: SweepDeps, pageSize = 200): Promise<SweepResult> {
  const tally = new BatchTally();
  const result: SweepResult = { examined: 0, dropped: 0 };
  const now = deps.now();
  for (let shard = 0; shard < OPEN_SHARDS; shard++) {
    for (;;) {
      const keys = await deps.jobs.findOpenPastDeadline(String(shard), now, pageSize);
      const droppedBefore = result.dropped;
      for (const jobKey of keys) {
        result.examined++;
        const job = await deps.jobs.get(jobKey);
        if (!job || !isOpen(job.state) || Date.parse(job.validUntil) > now) continue;
        if (await deps.jobs.applyWebhookUpdate(job, { kind: 'dropped' }, now)) {
          result.dropped++;
          tally.transition(job.campaignId, { state: job.state }, { state: JOB_STATES.dropped });
        }
      }
      // The index is eventually consistent: stop a shard when a page brought no progress, so
      // entries that lag behind their item cannot keep the sweep in a loop.
      if (keys.length < pageSize || result.dropped === droppedBefore) break;
    }
  }
  await deps.counters.add(tally.byCampaign);
  if (result.dropped > 0) deps.logger.info('jobs dropped by Meta (validity ended undelivered)', { ...result });
  return result;
}
