import { z } from 'zod';
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS } from './domain/job-contract.ts';
import { SANCTIONED_COUNTRIES, type RecipientPolicy } from './domain/phone.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './domain/send-plan.ts';
import type { MarketingMessageOptions } from './meta/marketing-message.ts';

const list = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Environment of the send function. serverless.yml sets every one of these; README's table documents them. */
const sendEnvSchema = z.object({
  JOBS_TABLE: z.string().min(1),
  CAMPAIGNS_TABLE: z.string().min(1),
  SEND_QUEUE_URL: z.url(),
  SEND_DLQ_URL: z.url(),
  DEFERRED_QUEUE_URL: z.url(),
  META_ACCESS_TOKEN_PARAMETER: z.string().startsWith('/'),
  META_GRAPH_BASE_URL: z.url().default('https://graph.facebook.com'),
  META_API_VERSION: z.string().regex(/^v\d+\.\d+$/).default('v26.0'),
  META_REQUEST_TIMEOUT_MS: int(500, 60_000).default(10_000),
  META_PRODUCT_POLICY: z.enum(['STRICT', 'CLOUD_API_FALLBACK']).default('STRICT'),
  META_MESSAGE_ACTIVITY_SHARING: bool.optional(),
  META_SEND_CALLBACK_DATA: bool.default(true),
  TOKEN_CACHE_SECONDS: int(0, 3600).default(300),
  DEFAULT_VALIDITY_SECONDS: int(MIN_VALIDITY_SECONDS, MAX_VALIDITY_SECONDS).default(MAX_VALIDITY_SECONDS),
  BLOCKED_COUNTRIES: list.default([...SANCTIONED_COUNTRIES]),
  BLOCKED_PREFIXES: list.default([]),
  MAX_TRANSIENT_RETRIES: int(0, 100).default(DEFAULT_RETRY_POLICY.maxTransientRetries),
  PER_USER_LIMIT_DELAY_SECONDS: int(1, 30 * 86_400).default(DEFAULT_RETRY_POLICY.perUserLimitDelaySeconds),
  MAX_LIMIT_ATTEMPTS: int(1, 20).default(DEFAULT_RETRY_POLICY.maxLimitAttempts),
  HOLD_SECONDS: int(1, 86_400).default(DEFAULT_RETRY_POLICY.holdSeconds),
  RETRY_131009_AFTER_SECONDS: int(0, 86_400).default(0),
  /** JSON object of Meta error code to wait in seconds, e.g. {"131000":120}. */
  META_RETRY_WAITS: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().regex(/^\d+$/), z.number().min(0).max(900)))
    .optional(),
  COUNTER_SHARDS: int(1, 100).default(10),
  JOB_RETENTION_DAYS: int(1, 365).default(35),
});

export interface SendConfig {
  tables: { jobs: string; campaigns: string };
  queues: { sendQueueUrl: string; sendDeadLetterQueueUrl: string; deferredQueueUrl: string };
  meta: { baseUrl: string; apiVersion: string; timeoutMs: number; accessTokenParameter: string; tokenCacheSeconds: number };
  message: MarketingMessageOptions;
  recipientPolicy: RecipientPolicy;
  retryPolicy: RetryPolicy;
  defaultValiditySeconds: number;
  counterShards: number;
  jobRetentionDays: number;
}

/** Thrown at cold start when the environment is incomplete: the message lists every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadSendConfig(env: NodeJS.ProcessEnv = process.env): SendConfig {
  const parsed = sendEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid send configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return {
    tables: { jobs: e.JOBS_TABLE, campaigns: e.CAMPAIGNS_TABLE },
    queues: { sendQueueUrl: e.SEND_QUEUE_URL, sendDeadLetterQueueUrl: e.SEND_DLQ_URL, deferredQueueUrl: e.DEFERRED_QUEUE_URL },
    meta: {
      baseUrl: e.META_GRAPH_BASE_URL,
      apiVersion: e.META_API_VERSION,
      timeoutMs: e.META_REQUEST_TIMEOUT_MS,
      accessTokenParameter: e.META_ACCESS_TOKEN_PARAMETER,
      tokenCacheSeconds: e.TOKEN_CACHE_SECONDS,
    },
    message: {
      productPolicy: e.META_PRODUCT_POLICY,
      sendCallbackData: e.META_SEND_CALLBACK_DATA,
      ...(e.META_MESSAGE_ACTIVITY_SHARING === undefined ? {} : { messageActivitySharing: e.META_MESSAGE_ACTIVITY_SHARING }),
    },
    recipientPolicy: { blockedCountries: e.BLOCKED_COUNTRIES, blockedPrefixes: e.BLOCKED_PREFIXES },
    retryPolicy: {
      ...DEFAULT_RETRY_POLICY,
      maxTransientRetries: e.MAX_TRANSIENT_RETRIES,
      perUserLimitDelaySeconds: e.PER_USER_LIMIT_DELAY_SECONDS,
      maxLimitAttempts: e.MAX_LIMIT_ATTEMPTS,
      holdSeconds: e.HOLD_SECONDS,
      ...(e.META_RETRY_WAITS ? { waitOverrides: Object.fromEntries(Object.entries(e.META_RETRY_WAITS).map(([code, s]) => [Number(code), s])) } : {}),
      ...(e.RETRY_131009_AFTER_SECONDS > 0 ? { classify: { retryInvalidParameterAfterSeconds: e.RETRY_131009_AFTER_SECONDS } } : {}),
    },
    defaultValiditySeconds: e.DEFAULT_VALIDITY_SECONDS,
    counterShards: e.COUNTER_SHARDS,
    jobRetentionDays: e.JOB_RETENTION_DAYS,
  };
}

const releaseEnvSchema = z.object({ SEND_QUEUE_URL: z.url(), DEFERRED_QUEUE_URL: z.url() });

export interface ReleaseConfig {
  sendQueueUrl: string;
  deferredQueueUrl: string;
}

export function loadReleaseConfig(env: NodeJS.ProcessEnv = process.env): ReleaseConfig {
  const parsed = releaseEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid release configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return { sendQueueUrl: parsed.data.SEND_QUEUE_URL, deferredQueueUrl: parsed.data.DEFERRED_QUEUE_URL };
}
