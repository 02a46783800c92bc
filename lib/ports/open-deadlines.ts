/**
 * The dropped sweep's to-do list: one record per send batch (a batch of thousands takes a few),
 * listing the batch's jobs under the latest of their validity deadlines. One small write per
 * batch instead of an index entry per accepted job. Records are never updated or deleted: they
 * expire on their own (TTL). Key: `sweep#open#<shard>` / `<deadline ms, 13 digits>#<record id>`.
 */
export interface OpenDeadlines {
  /** Lists these jobs under `deadline` (epoch ms). Written before any of them is claimed. */
  record(jobKeys: readonly string[], deadline: number): Promise<void>;
  /** One page of a shard's records whose deadline is in (after, upTo], oldest first: their job keys. */
  page(
    shard: number,
    after: number,
    upTo: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ jobKeys: string[]; next?: Record<string, unknown> }>;
}

/** Partitions the records are spread over, so 1,000 sends/s never make one key hot. */
export const OPEN_DEADLINE_SHARDS = 16;

/** Deadlines are grouped into spans of the sweep's period (`rate(15 minutes)`): records per batch stay few. */
export const DEADLINE_BUCKET_MS = 15 * 60_000;

/** The record a job with this deadline goes into: the end of its span, never before the deadline. */
export function deadlineBucketOf(deadline: number): number {
  return Math.ceil(deadline / DEADLINE_BUCKET_MS) * DEADLINE_BUCKET_MS;
}
