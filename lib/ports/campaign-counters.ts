/** Counter name to the amount it moves by (negative for a gauge a job left). */
export type CounterDeltas = Record<string, number>;

export interface CampaignCounters {
  /**
   * Adds one batch's deltas that no job write carries (duplicates, rejections): one write per
   * campaign per batch, on a random shard. Deltas caused by a job's change are written with that
   * change, in one transaction (lib/adapters/dynamodb/job-store.ts).
   */
  add(deltasByCampaign: ReadonlyMap<string, CounterDeltas>): Promise<void>;
  /** Sums all shards of a campaign. */
  read(campaignId: string): Promise<CounterDeltas>;
}
