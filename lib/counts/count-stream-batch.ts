import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { JOB_STATES } from '../domain/job-state.ts';
import { FAILED_CODE_PREFIX, stateCounter } from '../jobs/batch-tally.ts';
import type { JobChangeBatch, UnreadChange } from '../jobs/job-change.ts';
import { emitWithDimension } from '../observability.ts';
import type { CampaignCounters } from '../ports/campaign-counters.ts';
import { type CountSummary, countJobChanges } from './count-job-changes.ts';

export interface CountsRuntime<StreamBatch> {
  counters: CampaignCounters;
  /** The job changes of a stream batch (the DynamoDB adapter reads the stream's images). */
  read(event: StreamBatch): { batch: JobChangeBatch; unread: UnreadChange[] };
  logger: Logger;
  metrics: Metrics;
}

/**
 * One invocation of the counting function: a batch of the jobs table's stream added to the
 * campaigns' counters exactly once. A record it cannot read is logged and counted
 * (`UncountableJobChanges`), never retried: a retry would read it the same way and stop the shard.
 */
export async function countStreamBatch<StreamBatch>(event: StreamBatch, runtime: CountsRuntime<StreamBatch>): Promise<CountSummary> {
  const { batch, unread } = runtime.read(event);
  for (const record of unread) runtime.logger.error('job change not counted', { ...record });
  const summary = await countJobChanges(batch, {
    counters: runtime.counters,
    onAlreadyCounted: (campaignId, skippedChanges) =>
      runtime.logger.info('job changes counted before: batch handed over again', { campaignId, skippedChanges, batchId: batch.batchId }),
  });
  const metric = (name: string, value: number) => value > 0 && runtime.metrics.addMetric(name, MetricUnit.Count, value);
  metric('JobChangesCounted', summary.changesCounted);
  metric('JobChangesCountedBefore', summary.changesSkipped);
  metric('UncountableJobChanges', unread.length);
  // Counted here, once per job, because progress statuses are written by two functions (webhook and status).
  metric('JobsDelivered', summary.added.uniqueDelivered ?? 0);
  metric('JobsDeliveredAfterRetry', summary.added.deliveredAfterRetry ?? 0);
  // A job enters `read` once and never leaves it: the gauge's rise is the jobs read.
  metric('JobsRead', summary.added[stateCounter(JOB_STATES.read)] ?? 0);
  emitFailuresByCode(summary.added, runtime.metrics);
  return summary;
}

/**
 * Jobs that became `failed`, by Meta's error code (`errorCode`, a bounded set of codes), from the
 * batch's `failedCode_<code>` gauge deltas: the dashboard's failures row, one line per code. A net delta at or below zero (a failed job moving on)
 * writes nothing.
 */
function emitFailuresByCode(added: Readonly<Record<string, number>>, metrics: Metrics): void {
  for (const [counter, delta] of Object.entries(added)) {
    if (!counter.startsWith(FAILED_CODE_PREFIX) || delta <= 0) continue;
    const code = counter.slice(FAILED_CODE_PREFIX.length);
    emitWithDimension(metrics, { dimension: ['errorCode', code], metric: 'JobsFailedByCode', unit: MetricUnit.Count, value: delta });
  }
}
