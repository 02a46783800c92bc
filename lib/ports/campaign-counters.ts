/** Counter name to the amount it moves by (negative for a gauge a job left). */
export type CounterDeltas = Record<string, number>;

export interface CampaignCounters {
  /** Adds one batch's deltas: one write per campaign per batch, on a random shard. */
  add(deltasByCampaign: ReadonlyMap<string, CounterDeltas>): Promise<void>;
  /** Sums all shards of a campaign. */
  read(campaignId: string): Promise<CounterDeltas>;
}
