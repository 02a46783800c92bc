import type { CounterDeltas } from '../adapters/campaign-counters.ts';

/**
 * Collects one batch's outcomes so that counters and metrics are written once per batch and
 * campaign, not once per job (a per-event write would make the campaign item a hot key).
 */
export class BatchTally {
  readonly byCampaign = new Map<string, CounterDeltas>();
  readonly metrics = new Map<string, number>();

  /** Adds one to a campaign counter and to its metric (`Jobs` + the counter's name unless given). */
  count(campaignId: string | undefined, counter: string, metric = `Jobs${counter[0]?.toUpperCase()}${counter.slice(1)}`): void {
    if (campaignId) {
      const deltas = this.byCampaign.get(campaignId) ?? {};
      deltas[counter] = (deltas[counter] ?? 0) + 1;
      this.byCampaign.set(campaignId, deltas);
    }
    this.metric(metric);
  }

  metric(name: string, value = 1): void {
    this.metrics.set(name, (this.metrics.get(name) ?? 0) + value);
  }
}
