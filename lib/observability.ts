import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics, type MetricUnit } from '@aws-lambda-powertools/metrics';
import { maskPhoneNumber } from './domain/phone.ts';

export const SERVICE_NAME = 'wa-marketing-sender';
export const METRICS_NAMESPACE = 'WaMarketingSender';

/** Structured JSON logs (Powertools). Log level from POWERTOOLS_LOG_LEVEL. */
export function createLogger(functionName: string, logLevel?: LogLevel): Logger {
  return new Logger({ serviceName: SERVICE_NAME, persistentKeys: { component: functionName }, ...(logLevel ? { logLevel } : {}) });
}

/** EMF metrics (Powertools), flushed once per invocation by the middy middleware. */
export function createMetrics(functionName: string, options: { logger?: Console } = {}): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { function: functionName },
    ...options,
  });
}

/**
 * Writes one value of a metric with one dimension more than the function's own (a phone number,
 * an error code, a campaign), as its own EMF line at once: one EMF blob holds one set of dimensions.
 */
export function emitWithDimension(
  metrics: Metrics,
  {
    dimension,
    metric,
    unit,
    value,
  }: { dimension: [name: string, value: string]; metric: string; unit: (typeof MetricUnit)[keyof typeof MetricUnit]; value: number },
): void {
  const single = metrics.singleMetric();
  single.addDimension(...dimension);
  single.addMetric(metric, unit, value);
}

/** A job reference safe for logs: the campaign and a masked recipient. */
export function jobRef(campaignId: string, recipient: string): string {
  return `${campaignId}#${maskPhoneNumber(recipient)}`;
}
