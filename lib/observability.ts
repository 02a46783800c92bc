import { Logger } from '@aws-lambda-powertools/logger';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
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

/** A job reference safe for logs: the campaign and a masked recipient. */
export function jobRef(campaignId: string, recipient: string): string {
  return `${campaignId}#${maskPhoneNumber(recipient)}`;
}
