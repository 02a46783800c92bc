import { z } from 'zod';
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS } from './domain/job-contract.ts';
import type { OptOutPolicy } from './domain/opt-out.ts';
import { SANCTIONED_COUNTRIES, type RecipientPolicy } from './domain/phone.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './domain/send-plan.ts';
import type { MarketingMessageOptions } from './meta/marketing-message.ts';

/**
 * Function configuration from the environment. serverless.yml sets these; README's table
 * documents them. Each function parses only what it uses, and a bad or missing variable stops
 * the cold start with one error that names every problem.
 */
const list = z.string().transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean));
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false']).transform((value) => value === 'true');
/** A JSON object from numeric keys (error codes, phone number ids) to numbers. */
const jsonNumbersByKey = (value: z.ZodNumber) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(z.record(z.string().regex(/^\d+$/), value));

const tablesEnv = z.object({
  JOBS_TABLE: z.string().min(1),
  USERS_TABLE: z.string().min(1),
  CAMPAIGNS_TABLE: z.string().min(1),
  COUNTER_SHARDS: int(1, 100).default(10),
  JOB_RETENTION_DAYS: int(1, 365).default(35),
  USER_RETENTION_DAYS: int(1, 3650).default(400),
});

const dispatchEnv = z.object({ SEND_QUEUE_URL: z.url(), DEFERRED_QUEUE_URL: z.url() });

const retryEnv = z.object({
  MAX_TRANSIENT_RETRIES: int(0, 100).default(DEFAULT_RETRY_POLICY.maxTransientRetries),
  PER_USER_LIMIT_DELAY_SECONDS: int(1, 30 * 86_400).default(DEFAULT_RETRY_POLICY.perUserLimitDelaySeconds),
  MAX_LIMIT_ATTEMPTS: int(1, 20).default(DEFAULT_RETRY_POLICY.maxLimitAttempts),
  HOLD_SECONDS: int(1, 86_400).default(DEFAULT_RETRY_POLICY.holdSeconds),
  RETRY_131009_AFTER_SECONDS: int(0, 86_400).default(0),
  /** Meta error code → wait in seconds, e.g. {"131000":120}. */
  META_RETRY_WAITS: jsonNumbersByKey(z.number().min(0).max(900)).optional(),
});

const sendEnvSchema = tablesEnv.extend(dispatchEnv.shape).extend(retryEnv.shape).extend({
  SEND_DLQ_URL: z.url(),
  CONTROL_TABLE: z.string().min(1),
  /** Meta's throughput per business phone number: 80 by default, up to 1,000 after an upgrade. */
  PHONE_NUMBER_RATE_PER_SECOND: int(1, 1_000).default(80),
  /** Per-number exceptions, e.g. {"106540352242922":1000}. */
  PHONE_NUMBER_RATES: jsonNumbersByKey(z.number().int().min(1).max(1_000)).optional(),
  /**
   * A send waits at most this long for a free slot; otherwise it goes back on the queue. While
   * the fleet is busy, a batch's block starts behind every other invocation's: 3 blocks of 100 at
   * 77/s end 3.9 s ahead. 10 s leaves room for the slower pace after 130429s (down to half).
   */
  MAX_SLOT_WAIT_MS: int(0, 20_000).default(10_000),
  /**
   * A claim younger than this may still be in flight in another copy of the same message
   * (SQS can deliver one message twice at once): it is left alone. Older, its worker died.
   * Keep it above the function timeout and below the queue's visibility timeout.
   */
  CLAIM_STALE_SECONDS: int(1, 43_200).default(60),
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
});

const statusEnvSchema = tablesEnv.extend(dispatchEnv.shape).extend(retryEnv.shape).extend({
  STATUS_DLQ_URL: z.url(),
  STATUS_QUEUE_URL: z.url(),
  OPT_OUT_PAYLOADS: list.default(['STOP_PROMOTIONS']),
  OPT_OUT_KEYWORDS: list.default(['STOP']),
  OPT_IN_KEYWORDS: list.default(['START']),
});

const webhookEnvSchema = z.object({
  STATUS_QUEUE_URL: z.url(),
  META_APP_SECRET_PARAMETER: z.string().startsWith('/'),
  WEBHOOK_VERIFY_TOKEN_PARAMETER: z.string().startsWith('/'),
  TOKEN_CACHE_SECONDS: int(0, 3600).default(300),
  // Meta's payloads reach 3 MB; a function URL takes 6 MB.
  WEBHOOK_MAX_BODY_BYTES: int(1_024, 6_000_000).default(3_500_000),
});

/** Thrown at cold start when the environment is incomplete: the message lists every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, name: string): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(`invalid ${name} configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export interface StoreConfig {
  tables: { jobs: string; users: string; campaigns: string };
  counterShards: number;
  jobRetentionDays: number;
  userRetentionDays: number;
}

function storeConfig(e: z.infer<typeof tablesEnv>): StoreConfig {
  return {
    tables: { jobs: e.JOBS_TABLE, users: e.USERS_TABLE, campaigns: e.CAMPAIGNS_TABLE },
    counterShards: e.COUNTER_SHARDS,
    jobRetentionDays: e.JOB_RETENTION_DAYS,
    userRetentionDays: e.USER_RETENTION_DAYS,
  };
}

function retryPolicy(e: z.infer<typeof retryEnv>): RetryPolicy {
  return {
    ...DEFAULT_RETRY_POLICY,
    maxTransientRetries: e.MAX_TRANSIENT_RETRIES,
    perUserLimitDelaySeconds: e.PER_USER_LIMIT_DELAY_SECONDS,
    maxLimitAttempts: e.MAX_LIMIT_ATTEMPTS,
    holdSeconds: e.HOLD_SECONDS,
    ...(e.META_RETRY_WAITS ? { waitOverrides: Object.fromEntries(Object.entries(e.META_RETRY_WAITS).map(([code, s]) => [Number(code), s])) } : {}),
    ...(e.RETRY_131009_AFTER_SECONDS > 0 ? { classify: { retryInvalidParameterAfterSeconds: e.RETRY_131009_AFTER_SECONDS } } : {}),
  };
}

export interface SendConfig extends StoreConfig {
  queues: { sendQueueUrl: string; sendDeadLetterQueueUrl: string; deferredQueueUrl: string };
  controlTable: string;
  pacing: { defaultRate: number; rates: Readonly<Record<string, number>>; maxSlotWaitMs: number };
  claimStaleMs: number;
  meta: { baseUrl: string; apiVersion: string; timeoutMs: number; accessTokenParameter: string; tokenCacheSeconds: number };
  message: MarketingMessageOptions;
  recipientPolicy: RecipientPolicy;
  retryPolicy: RetryPolicy;
  defaultValiditySeconds: number;
}

export function loadSendConfig(env: NodeJS.ProcessEnv = process.env): SendConfig {
  const e = parseEnv(sendEnvSchema, env, 'send');
  return {
    ...storeConfig(e),
    queues: { sendQueueUrl: e.SEND_QUEUE_URL, sendDeadLetterQueueUrl: e.SEND_DLQ_URL, deferredQueueUrl: e.DEFERRED_QUEUE_URL },
    controlTable: e.CONTROL_TABLE,
    pacing: { defaultRate: e.PHONE_NUMBER_RATE_PER_SECOND, rates: e.PHONE_NUMBER_RATES ?? {}, maxSlotWaitMs: e.MAX_SLOT_WAIT_MS },
    claimStaleMs: e.CLAIM_STALE_SECONDS * 1000,
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
    retryPolicy: retryPolicy(e),
    defaultValiditySeconds: e.DEFAULT_VALIDITY_SECONDS,
  };
}

export interface StatusConfig extends StoreConfig {
  queues: { sendQueueUrl: string; deferredQueueUrl: string; statusQueueUrl: string; statusDeadLetterQueueUrl: string };
  retryPolicy: RetryPolicy;
  optOutPolicy: OptOutPolicy;
}

export function loadStatusConfig(env: NodeJS.ProcessEnv = process.env): StatusConfig {
  const e = parseEnv(statusEnvSchema, env, 'status');
  return {
    ...storeConfig(e),
    queues: { sendQueueUrl: e.SEND_QUEUE_URL, deferredQueueUrl: e.DEFERRED_QUEUE_URL, statusQueueUrl: e.STATUS_QUEUE_URL, statusDeadLetterQueueUrl: e.STATUS_DLQ_URL },
    retryPolicy: retryPolicy(e),
    optOutPolicy: { payloads: e.OPT_OUT_PAYLOADS, stopKeywords: e.OPT_OUT_KEYWORDS, resumeKeywords: e.OPT_IN_KEYWORDS },
  };
}

/** The sweep that marks jobs `dropped` needs the jobs and campaigns tables only. */
export function loadSweepConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  return storeConfig(parseEnv(tablesEnv, env, 'sweep'));
}

export interface WebhookConfig {
  statusQueueUrl: string;
  appSecretParameter: string;
  verifyTokenParameter: string;
  secretCacheSeconds: number;
  maxBodyBytes: number;
}

export function loadWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const e = parseEnv(webhookEnvSchema, env, 'webhook');
  return {
    statusQueueUrl: e.STATUS_QUEUE_URL,
    appSecretParameter: e.META_APP_SECRET_PARAMETER,
    verifyTokenParameter: e.WEBHOOK_VERIFY_TOKEN_PARAMETER,
    secretCacheSeconds: e.TOKEN_CACHE_SECONDS,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
  };
}

export interface ReleaseConfig {
  sendQueueUrl: string;
  deferredQueueUrl: string;
}

export function loadReleaseConfig(env: NodeJS.ProcessEnv = process.env): ReleaseConfig {
  const e = parseEnv(dispatchEnv, env, 'release');
  return { sendQueueUrl: e.SEND_QUEUE_URL, deferredQueueUrl: e.DEFERRED_QUEUE_URL };
}
