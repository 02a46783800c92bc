import { JOB_STATES, type JobState } from '../domain/job-state.ts';
import type { CounterDeltas } from '../ports/campaign-counters.ts';

/** Counter name of the gauge "recipients of this campaign now in `state`". */
export const stateCounter = (state: JobState) => `state_${state}`;
/** Counter name of the gauge "recipients now failed with `code`". */
export const failedCodeCounter = (code: number) => `failedCode_${code}`;

/** A gauge a job is counted in: its state, and for `failed` its error code too. */
export interface GaugeState {
  state: JobState;
  errorCode?: number;
}

/**
 * Collects one batch's outcomes so that counters and metrics are written once per batch and
 * campaign, not once per job (a per-event write would make the campaign item a hot key).
 *
 * Two kinds of counters: gauges per state (a job leaving a state takes one off, entering adds
 * one, so each recipient is counted once, in its current state, however often it was retried),
 * and monotonic counts (unique accepted, unique delivered, retries, rejections).
 */
export class BatchTally {
  readonly byCampaign = new Map<string, CounterDeltas>();
  readonly metrics = new Map<string, number>();

  /** Adds one to a monotonic campaign counter and to its metric (`Jobs` + the counter's name unless given). */
  count(campaignId: string | undefined, counter: string, metric = `Jobs${counter[0]?.toUpperCase()}${counter.slice(1)}`): void {
    if (campaignId) this.add(campaignId, counter, 1);
    this.metric(metric);
  }

  /**
   * Moves one recipient from one state gauge to another; `sending` is not a gauge (it lasts a
   * request). Called only by `countingStateChanges` (state-gauges.ts), the gauges' one owner.
   */
  transition(campaignId: string, from: GaugeState | undefined, to: GaugeState): void {
    if (from && from.state !== JOB_STATES.sending) {
      this.add(campaignId, stateCounter(from.state), -1);
      if (from.state === JOB_STATES.failed && from.errorCode !== undefined) this.add(campaignId, failedCodeCounter(from.errorCode), -1);
    }
    if (to.state !== JOB_STATES.sending) {
      this.add(campaignId, stateCounter(to.state), 1);
      if (to.state === JOB_STATES.failed && to.errorCode !== undefined) this.add(campaignId, failedCodeCounter(to.errorCode), 1);
    }
  }

  metric(name: string, value = 1): void {
    this.metrics.set(name, (this.metrics.get(name) ?? 0) + value);
  }

  private add(campaignId: string, counter: string, delta: number): void {
    const deltas = this.byCampaign.get(campaignId) ?? {};
    deltas[counter] = (deltas[counter] ?? 0) + delta;
    this.byCampaign.set(campaignId, deltas);
  }
}
