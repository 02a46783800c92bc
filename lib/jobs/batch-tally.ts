import type { JobState } from '../domain/job-state.ts';
import type { CounterDeltas } from '../ports/campaign-counters.ts';

/** Counter name of the gauge "recipients of this campaign now in `state`". */
export const stateCounter = (state: JobState) => `state_${state}`;
/** The prefix of the gauges of failures by code. */
export const FAILED_CODE_PREFIX = 'failedCode_';
/** Counter name of the gauge "recipients now failed with `code`". */
export const failedCodeCounter = (code: number) => `${FAILED_CODE_PREFIX}${code}`;

/**
 * Collects one batch's metrics, and the campaign counts no job write carries (duplicate rows,
 * rejected bodies), so that those are written once per batch and campaign. Counts that follow
 * from a job's change (its state gauges, unique accepted and delivered, retries, 131049 hits) are
 * counted from the jobs table's stream (`count-job-changes.ts`), not here.
 */
export class BatchTally {
  readonly byCampaign = new Map<string, CounterDeltas>();
  readonly metrics = new Map<string, number>();
  /** Metrics of one phone number each (their own dimension), by phone number id. */
  readonly byNumber = new Map<string, Map<string, number>>();

  /** Adds one to a monotonic campaign counter and to its metric (`Jobs` + the counter's name unless given). */
  count(campaignId: string | undefined, counter: string, metric = `Jobs${counter[0]?.toUpperCase()}${counter.slice(1)}`): void {
    if (campaignId) this.add(campaignId, counter, 1);
    this.metric(metric);
  }

  metric(name: string, value = 1): void {
    this.metrics.set(name, (this.metrics.get(name) ?? 0) + value);
  }

  numberMetric(phoneNumberId: string, name: string, value = 1): void {
    const metrics = this.byNumber.get(phoneNumberId) ?? new Map<string, number>();
    metrics.set(name, (metrics.get(name) ?? 0) + value);
    this.byNumber.set(phoneNumberId, metrics);
  }

  private add(campaignId: string, counter: string, delta: number): void {
    const deltas = this.byCampaign.get(campaignId) ?? {};
    deltas[counter] = (deltas[counter] ?? 0) + delta;
    this.byCampaign.set(campaignId, deltas);
  }
}
