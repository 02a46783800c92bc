import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { BatchTally } from '../jobs/batch-tally.ts';
import { emitWithDimension } from '../observability.ts';
import type { BatchContext, SendRuntime } from './context.ts';

/**
 * The send function's metrics of each phone number, with `phoneNumberId` as a dimension beside
 * `service` and `function`, for the dashboard's row per number: its sends against its ceiling,
 * its 130429s, its held jobs and whether its breaker was open as this batch last read it. Each
 * value is a line of its own; a batch touches one number or a few, and the function runs once per
 * hundreds of sends.
 */
export function flushNumberMetrics({ tally, batch, runtime }: { tally: BatchTally; batch: BatchContext; runtime: SendRuntime }): void {
  for (const [phoneNumberId, counts] of tally.byNumber) {
    const emit = (metric: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) =>
      emitWithDimension(runtime.metrics, { dimension: ['phoneNumberId', phoneNumberId], metric, unit, value });
    for (const [name, value] of counts) emit(name, MetricUnit.Count, value);
    emit('NumberRateCeiling', MetricUnit.CountPerSecond, runtime.config.pacing.rates[phoneNumberId] ?? runtime.config.pacing.defaultRate);
    emit('NumberBreakerOpen', MetricUnit.Count, batch.controls.phones.get(phoneNumberId)?.state === 'open' ? 1 : 0);
  }
}
