/** Counter name to the amount it moves by (negative for a gauge a job left). */
export type CounterDeltas = Record<string, number>;

/**
 * One campaign's job changes in one batch of the jobs table's stream: the batch by the id of its
 * first record (a failed batch is handed over again from that record: its checkpoint), the
 * changes by the sequence numbers (decimal strings, increasing within the batch's shard) of the
 * first and the last of them.
 */
export interface StreamRun {
  batchId: string;
  firstSequence: string;
  lastSequence: string;
}

/** Whether a run's deltas were added, or the batch's changes were counted up to `countedThrough` already. */
export type RunOutcome = { added: true } | { added: false; countedThrough: string };

export interface CampaignCounters {
  /**
   * Adds one batch's deltas that no job change carries (duplicate rows, rejected bodies): one
   * write per campaign per batch, on a random shard.
   */
  add(deltasByCampaign: ReadonlyMap<string, CounterDeltas>): Promise<void>;
  /**
   * Adds the deltas of a run of job changes only if none of the run was counted before: the
   * batch's mark of how far its changes were counted moves in the same transaction, so a batch
   * the stream hands over again adds nothing twice.
   */
  addRun(campaignId: string, deltas: CounterDeltas, run: StreamRun): Promise<RunOutcome>;
  /** Sums all shards of a campaign. */
  read(campaignId: string): Promise<CounterDeltas>;
}
