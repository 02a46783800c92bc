import type { JobChange, JobChangeBatch } from '../jobs/job-change.ts';
import { addDeltas, countsOfImages } from '../jobs/state-gauges.ts';
import type { CampaignCounters, CounterDeltas, StreamRun } from '../ports/campaign-counters.ts';

export interface CountJobChangesDeps {
  counters: CampaignCounters;
  /** Runs that were counted already (a batch handed over again), for the logs and a metric. */
  onAlreadyCounted?: (campaignId: string, skippedChanges: number) => void;
}

export interface CountSummary {
  campaigns: number;
  changesCounted: number;
  changesSkipped: number;
  /** What the runs added to the counters in this invocation, summed over campaigns. */
  added: CounterDeltas;
}

/**
 * Adds a stream batch's job changes to their campaigns' counters, one transaction per campaign.
 * Exactly once: each campaign's run moves a mark of the batch in the same transaction, and a
 * batch the stream hands over again (after a failure, a timeout, a crash after the write) starts
 * from the same first record, so its runs find their mark and add only what lies beyond it.
 * A failure of one campaign's write fails the invocation; the retry skips the campaigns done.
 */
export async function countJobChanges(batch: JobChangeBatch, deps: CountJobChangesDeps): Promise<CountSummary> {
  const summary: CountSummary = { campaigns: 0, changesCounted: 0, changesSkipped: 0, added: {} };
  for (const [campaignId, changes] of byCampaign(batch.changes)) {
    summary.campaigns += 1;
    let pending = changes;
    for (;;) {
      const deltas = deltasOf(pending);
      // Claims and other changes that move no counter cost no write.
      if (Object.keys(deltas).length === 0) break;
      const outcome = await deps.counters.addRun(campaignId, deltas, runOf(batch.batchId, pending));
      if (outcome.added) {
        summary.changesCounted += pending.length;
        addDeltas(summary.added, deltas);
        break;
      }
      const through = BigInt(outcome.countedThrough);
      const beyond = pending.filter((change) => BigInt(change.sequence) > through);
      const skipped = pending.length - beyond.length;
      summary.changesSkipped += skipped;
      deps.onAlreadyCounted?.(campaignId, skipped);
      if (skipped === 0) throw new Error(`campaign ${campaignId}: mark of batch ${batch.batchId} refused a run it does not cover`);
      if (beyond.length === 0) break;
      pending = beyond;
    }
  }
  return summary;
}

function byCampaign(changes: readonly JobChange[]): Map<string, JobChange[]> {
  const grouped = new Map<string, JobChange[]>();
  for (const change of changes) {
    const run = grouped.get(change.campaignId);
    if (run) run.push(change);
    else grouped.set(change.campaignId, [change]);
  }
  return grouped;
}

function deltasOf(changes: readonly JobChange[]): CounterDeltas {
  const totals: CounterDeltas = {};
  for (const change of changes) addDeltas(totals, countsOfImages(change.before, change.after));
  return totals;
}

function runOf(batchId: string, changes: readonly JobChange[]): StreamRun {
  return { batchId, firstSequence: changes[0]!.sequence, lastSequence: changes.at(-1)!.sequence };
}
