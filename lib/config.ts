import { z } from 'zod';
import { MAX_VALIDITY_SECONDS, MIN_VALIDITY_SECONDS } from './domain/job-contract.ts';
import type { MarketingMessageOptions } from './domain/marketing-message.ts';
import type { OptOutPolicy } from './domain/opt-out.ts';
import { type RecipientPolicy, SANCTIONED_COUNTRIES } from './domain/phone.ts';
import { DEFAULT_RESEND_AFTER_SECONDS } from './domain/resend-rule.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './domain/send-plan.ts';
import { type ServedAccounts, servedAccounts } from './domain/whatsapp-accounts.ts';
import { ConfigError } from './errors.ts';

/**
 * Function configuration from the environment. serverless.yml sets these; docs/configuration.md
 * documents them (generated from these schemas by `npm run config-doc`). Each function parses
 * only what it uses, and a bad or missing variable stops the cold start with one error that names
 * every problem.
 */
const list = z.string().transform((value) =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean),
);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false']).transform((value) => value === 'true');
/** A string holding JSON, parsed. */
const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});
/** A JSON object from numeric keys (error codes, phone number ids) to numbers. */
const jsonNumbersByKey = (value: z.ZodNumber) => jsonText.pipe(z.record(z.string().regex(/^\d+$/), value));

/** Account id → its phone number ids (all numeric), each number under one account. */
const whatsappAccountsEnv = z.object({
  WHATSAPP_ACCOUNTS: jsonText
    .pipe(z.record(z.string().regex(/^\d{5,20}$/, 'a numeric account id'), z.array(z.string().regex(/^\d{5,20}$/)).min(1)))
    .transform((byAccount, ctx) => {
      try {
        return servedAccounts(byAccount);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .describe(
      'JSON map of each WhatsApp Business Account id served to its phone number ids, e.g. `{"102290129340398":["106540352242922"]}`: webhooks for others are not applied, opt-outs belong to the account, jobs for other numbers are refused.',
    ),
});

const tablesEnv = z.object({
  JOBS_TABLE: z.string().min(1).describe("The jobs table: one item per recipient and campaign, holding the claim and the job's state."),
  USERS_TABLE: z
    .string()
    .min(1)
    .describe("The users table: each recipient's 131049 hits (expiring) and its opt-outs per WhatsApp Business Account (kept)."),
  CAMPAIGNS_TABLE: z
    .string()
    .min(1)
    .describe("The campaigns table: sharded counters, the sweep's open-deadline records and its watermark."),
  COUNTER_SHARDS: int(1, 200)
    .default(10)
    .describe(
      'Counter items per campaign: each counter write (one per campaign per stream batch or send batch) adds to one at random, and the report sums them. More shards spread concurrent writes; fewer make reads cheaper.',
    ),
  JOB_RETENTION_DAYS: int(1, 365).default(35).describe('Job items expire (DynamoDB TTL) this many days after their validity ends.'),
  USER_RETENTION_DAYS: int(1, 3650)
    .default(400)
    .describe(
      "A recipient's 131049 record expires this many days after its last hit. Opt-outs never expire: they stay until the user resumes or is erased (`npm run erase`).",
    ),
});

const dispatchEnv = z.object({
  SEND_QUEUE_URL: z.url().describe('The send queue: jobs, and waits of up to 900 s as a message delay.'),
  DEFERRED_QUEUE_URL: z.url().describe("The deferred queue, for waits longer than SQS's 900 s delay (24 h after a 131049)."),
});

const retryEnv = z.object({
  MAX_TRANSIENT_RETRIES: int(0, 100)
    .default(DEFAULT_RETRY_POLICY.maxTransientRetries)
    .describe('Retries after passing errors before a job ends `failed`; 130429s and breaker holds spend none.'),
  PER_USER_LIMIT_DELAY_SECONDS: int(1, 30 * 86_400)
    .default(DEFAULT_RETRY_POLICY.perUserLimitDelaySeconds)
    .describe('Wait after a 131049 before the next attempt. Meta asks for at least 24 h: shorten it only for a demo.'),
  MAX_LIMIT_ATTEMPTS: int(1, 20)
    .default(DEFAULT_RETRY_POLICY.maxLimitAttempts)
    .describe('Attempts (the first send included) before a job that keeps hitting 131049 ends `limit_exhausted`.'),
  HOLD_SECONDS: int(1, 86_400)
    .default(DEFAULT_RETRY_POLICY.holdSeconds)
    .describe(
      'Longest a held job (number stopped, campaign paused, all sending stopped) stays away before it looks again; the job that hit the error too. Closing a breaker or resuming shows within it.',
    ),
  RETRY_131009_AFTER_SECONDS: int(0, 86_400)
    .default(0)
    .describe("Retry a 131009 after this wait instead of failing the job (the MM API's ad sync may be unfinished); 0 turns it off."),
  /** Meta error code → wait in seconds, e.g. {"131000":120}. */
  META_RETRY_WAITS: jsonNumbersByKey(z.number().min(0).max(900))
    .optional()
    .describe('JSON map of Meta error code to wait in seconds (at most 900), replacing the classified wait, e.g. `{"131000":120}`.'),
});

const sendEnvSchema = tablesEnv
  .extend(dispatchEnv.shape)
  .extend(retryEnv.shape)
  .extend(whatsappAccountsEnv.shape)
  .extend({
    SEND_DLQ_URL: z
      .url()
      .describe('The send dead-letter queue: invalid jobs with their rejection reason, and jobs that failed 5 receives.'),
    CONTROL_TABLE: z
      .string()
      .min(1)
      .describe(
        "The control table: each number's pace (`pace#<id>`) and breaker (`phone#<id>`), each campaign's status (`campaign#<id>`).",
      ),
    /** Meta's throughput per business phone number: 80 by default, up to 1,000 after an upgrade. */
    PHONE_NUMBER_RATE_PER_SECOND: int(1, 1_000)
      .default(80)
      .describe("Meta's throughput per business phone number (80, or 1,000 after Meta's upgrade); the fleet paces to 97 % of it."),
    /** Per-number exceptions, e.g. {"106540352242922":1000}. */
    PHONE_NUMBER_RATES: jsonNumbersByKey(z.number().int().min(1).max(1_000))
      .optional()
      .describe('JSON map of phone number id to its own rate, for numbers whose throughput differs, e.g. `{"106540352242922":1000}`.'),
    /**
     * A send waits at most this long for a free slot; otherwise it goes back on the queue. While
     * the fleet is busy, a batch's block starts behind every other invocation's: 3 blocks of 100 at
     * 77/s end 3.9 s ahead. 10 s leaves room for the slower pace after 130429s (down to half).
     */
    MAX_SLOT_WAIT_MS: int(0, 20_000)
      .default(10_000)
      .describe(
        'Longest a send waits for its send time; jobs with no time free within it go back on the queue for 1 s (`PacingDeferrals`).',
      ),
    /**
     * A claim younger than this may still be in flight in another copy of the same message
     * (SQS can deliver one message twice at once): it is left alone. Older, its worker died.
     * Keep it above the function timeout and below the queue's visibility timeout.
     */
    CLAIM_STALE_SECONDS: int(1, 43_200)
      .default(60)
      .describe("A `sending` claim this old is a dead worker's, settled `unknown`. Keep it between the function and visibility timeouts."),
    META_ACCESS_TOKEN_PARAMETER: z
      .string()
      .startsWith('/')
      .describe('Name of the SSM SecureString that holds the system-user access token.'),
    META_GRAPH_BASE_URL: z
      .url()
      .default('https://graph.facebook.com')
      .describe('Base URL of the Graph API; the local stack points it at the MM API simulator.'),
    META_API_VERSION: z
      .string()
      .regex(/^v\d+\.\d+$/)
      .default('v26.0')
      .describe('Graph API version of the send requests.'),
    META_REQUEST_TIMEOUT_MS: int(500, 60_000)
      .default(10_000)
      .describe('Timeout of one MM API request; after it the outcome is `unknown` and the job is never re-sent.'),
    META_PRODUCT_POLICY: z
      .enum(['STRICT', 'CLOUD_API_FALLBACK'])
      .default('STRICT')
      .describe("`STRICT` (the MM API only) or `CLOUD_API_FALLBACK` (Meta may route through the Cloud API; the job's `route` tells)."),
    META_MESSAGE_ACTIVITY_SHARING: bool
      .optional()
      .describe("`true` or `false` for every send; unset leaves the account's setting. A job's `messageActivitySharing` wins."),
    META_SEND_CALLBACK_DATA: bool
      .default(true)
      .describe(
        "Whether sends carry `biz_opaque_callback_data`: the dispatch reference that settles `unknown` jobs, then the job's `callbackData` (Meta's MM API schema does not list the field).",
      ),
    TOKEN_CACHE_SECONDS: int(0, 3600)
      .default(300)
      .describe('How long a secret read from SSM is cached: a rotated secret is picked up within this time.'),
    DEFAULT_VALIDITY_SECONDS: int(MIN_VALIDITY_SECONDS, MAX_VALIDITY_SECONDS)
      .default(MAX_VALIDITY_SECONDS)
      .describe("Validity of jobs that set no `validitySeconds` (12 hours to 30 days, Meta's TTL range for marketing templates)."),
    BLOCKED_COUNTRIES: list
      .default([...SANCTIONED_COUNTRIES])
      .describe('Comma-separated ISO 3166 country codes never messaged; the default is the countries WhatsApp may not message.'),
    BLOCKED_PREFIXES: list
      .default([])
      .describe('Comma-separated E.164 prefixes refused as well (Crimea, Donetsk and Luhansk cannot be told apart by country).'),
  });

const feedQueueUrl = z.url().describe('The feed queue: one message per campaign to feed; the feeder function takes them.');

const statusEnvSchema = tablesEnv
  .extend(dispatchEnv.shape)
  .extend(retryEnv.shape)
  .extend(whatsappAccountsEnv.shape)
  .extend({
    CONTROL_TABLE: sendEnvSchema.shape.CONTROL_TABLE,
    FEED_QUEUE_URL: feedQueueUrl,
    STATUS_DLQ_URL: z.url().describe('The status dead-letter queue: webhook events that could not be applied.'),
    STATUS_QUEUE_URL: z.url().describe('The status queue: one message per webhook event.'),
    OPT_OUT_PAYLOADS: list.default(['STOP_PROMOTIONS']).describe('Comma-separated quick-reply payloads that opt a user out.'),
    OPT_OUT_KEYWORDS: list
      .default(['STOP'])
      .describe('Comma-separated words that opt a user out when typed as the whole message, any case (Meta leaves that to the business).'),
    OPT_IN_KEYWORDS: list
      .default(['START'])
      .describe('Comma-separated words that opt a user back in when typed as the whole message, in any case.'),
    UNKNOWN_MATCH_WINDOW_SECONDS: int(0, 86_400)
      .default(600)
      .describe(
        "A status with no dispatch reference in its callback data settles the recipient's one `unknown` job claimed this long before it; 0 turns that matching off.",
      ),
  });

const webhookEnvSchema = whatsappAccountsEnv.extend({
  ...tablesEnv.pick({ JOBS_TABLE: true, JOB_RETENTION_DAYS: true }).shape,
  STATUS_QUEUE_URL: z.url().describe('The status queue: one message per webhook event.'),
  META_APP_SECRET_PARAMETER: z
    .string()
    .startsWith('/')
    .describe('Name of the SSM SecureString that holds the Meta app secret, which signs the webhooks.'),
  WEBHOOK_VERIFY_TOKEN_PARAMETER: z
    .string()
    .startsWith('/')
    .describe('Name of the SSM SecureString that holds the verify token entered in the App Dashboard.'),
  TOKEN_CACHE_SECONDS: int(0, 3600)
    .default(300)
    .describe('How long a secret read from SSM is cached: a rotated secret is picked up within this time.'),
  // Meta's payloads reach 3 MB; a function URL takes 6 MB.
  WEBHOOK_MAX_BODY_BYTES: int(1_024, 6_000_000)
    .default(3_500_000)
    .describe("POST bodies larger than this are answered 413 (Meta's payloads reach 3 MB)."),
});

/** The sweep: drops jobs undelivered at their deadline and, if configured, re-sends `unknown` ones. */
const sweepEnvSchema = tablesEnv.extend(dispatchEnv.shape).extend({
  UNKNOWN_RESEND_AUTOMATIC: bool
    .default(false)
    .describe(
      'Whether each sweep run re-sends, once, the jobs left `unknown` without a status for UNKNOWN_RESEND_AFTER_SECONDS; otherwise only `npm run resend-unknown` does.',
    ),
  // At least a minute: Meta's `sent` status comes within seconds, but a status-path outage would
  // then turn into duplicates (docs/design.md#re-sending-unknown-jobs).
  UNKNOWN_RESEND_AFTER_SECONDS: int(60, MAX_VALIDITY_SECONDS)
    .default(DEFAULT_RESEND_AFTER_SECONDS)
    .describe('How long after its claim a job left `unknown` with no status is re-sent automatically.'),
});

/** The campaign functions: the minute ticker (launches, status edits, progress) and the audience feeder. */
const campaignEnvSchema = tablesEnv
  .extend(
    sendEnvSchema.pick({
      SEND_QUEUE_URL: true,
      CONTROL_TABLE: true,
      PHONE_NUMBER_RATE_PER_SECOND: true,
      PHONE_NUMBER_RATES: true,
      META_ACCESS_TOKEN_PARAMETER: true,
      META_GRAPH_BASE_URL: true,
      META_API_VERSION: true,
      META_REQUEST_TIMEOUT_MS: true,
      TOKEN_CACHE_SECONDS: true,
      BLOCKED_COUNTRIES: true,
      BLOCKED_PREFIXES: true,
    }).shape,
  )
  .extend(whatsappAccountsEnv.shape)
  .extend({
    FEED_QUEUE_URL: feedQueueUrl,
    CAMPAIGN_SET_TEMPLATE_TTL: bool
      .default(false)
      .describe(
        "Whether a launch may set the template's TTL to the campaign's validity when they differ; otherwise the launch is refused.",
      ),
    // Up to an hour: a larger horizon keeps more of the campaign queued, so a pause or a cancel takes longer to act.
    FEED_HORIZON_SECONDS: int(30, 3_600)
      .default(120)
      .describe(
        "Seconds of the campaign's share of its number's rate the feeder keeps queued: pause, cancel and a new campaign beside it act within about this.",
      ),
    CAMPAIGN_LOOK_AHEAD_SECONDS: int(0, 120)
      .default(60)
      .describe('The ticker launches campaigns due within this many seconds, each at its second (keep it at the tick interval).'),
  });

export type { ServedAccounts };
/** Each function's environment schema, by function name: the source of docs/configuration.md (`npm run config-doc`). */
export { whatsappAccountsEnv };

const countsEnvSchema = tablesEnv.pick({ CAMPAIGNS_TABLE: true, COUNTER_SHARDS: true });

export const FUNCTION_ENV_SCHEMAS = {
  send: sendEnvSchema,
  status: statusEnvSchema,
  webhook: webhookEnvSchema,
  release: dispatchEnv,
  sweep: sweepEnvSchema,
  campaigns: campaignEnvSchema,
  feeder: campaignEnvSchema,
  countJobChanges: countsEnvSchema,
} as const;

function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv, name: string): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      `invalid ${name} configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
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
    ...(e.META_RETRY_WAITS
      ? { waitOverrides: Object.fromEntries(Object.entries(e.META_RETRY_WAITS).map(([code, s]) => [Number(code), s])) }
      : {}),
    ...(e.RETRY_131009_AFTER_SECONDS > 0 ? { classify: { retryInvalidParameterAfterSeconds: e.RETRY_131009_AFTER_SECONDS } } : {}),
  };
}

/** How a function reaches the Graph API (sends, and the campaign launch's reads). */
export interface MetaConfig {
  baseUrl: string;
  apiVersion: string;
  timeoutMs: number;
  accessTokenParameter: string;
  tokenCacheSeconds: number;
}

type MetaEnv = Pick<
  z.infer<typeof sendEnvSchema>,
  'META_GRAPH_BASE_URL' | 'META_API_VERSION' | 'META_REQUEST_TIMEOUT_MS' | 'META_ACCESS_TOKEN_PARAMETER' | 'TOKEN_CACHE_SECONDS'
>;

function metaConfig(e: MetaEnv): MetaConfig {
  return {
    baseUrl: e.META_GRAPH_BASE_URL,
    apiVersion: e.META_API_VERSION,
    timeoutMs: e.META_REQUEST_TIMEOUT_MS,
    accessTokenParameter: e.META_ACCESS_TOKEN_PARAMETER,
    tokenCacheSeconds: e.TOKEN_CACHE_SECONDS,
  };
}

export interface SendConfig extends StoreConfig {
  queues: { sendQueueUrl: string; sendDeadLetterQueueUrl: string; deferredQueueUrl: string };
  controlTable: string;
  pacing: { defaultRate: number; rates: Readonly<Record<string, number>>; maxSlotWaitMs: number };
  claimStaleMs: number;
  meta: MetaConfig;
  message: MarketingMessageOptions;
  recipientPolicy: RecipientPolicy;
  retryPolicy: RetryPolicy;
  defaultValiditySeconds: number;
  /** The accounts served: a job's opt-outs are its number's account's; a job for another number is refused. */
  accounts: ServedAccounts;
}

export function loadSendConfig(env: NodeJS.ProcessEnv = process.env): SendConfig {
  const e = parseEnv(sendEnvSchema, env, 'send');
  return {
    ...storeConfig(e),
    queues: { sendQueueUrl: e.SEND_QUEUE_URL, sendDeadLetterQueueUrl: e.SEND_DLQ_URL, deferredQueueUrl: e.DEFERRED_QUEUE_URL },
    controlTable: e.CONTROL_TABLE,
    pacing: { defaultRate: e.PHONE_NUMBER_RATE_PER_SECOND, rates: e.PHONE_NUMBER_RATES ?? {}, maxSlotWaitMs: e.MAX_SLOT_WAIT_MS },
    claimStaleMs: e.CLAIM_STALE_SECONDS * 1000,
    meta: metaConfig(e),
    message: {
      productPolicy: e.META_PRODUCT_POLICY,
      sendCallbackData: e.META_SEND_CALLBACK_DATA,
      ...(e.META_MESSAGE_ACTIVITY_SHARING === undefined ? {} : { messageActivitySharing: e.META_MESSAGE_ACTIVITY_SHARING }),
    },
    recipientPolicy: { blockedCountries: e.BLOCKED_COUNTRIES, blockedPrefixes: e.BLOCKED_PREFIXES },
    retryPolicy: retryPolicy(e),
    defaultValiditySeconds: e.DEFAULT_VALIDITY_SECONDS,
    accounts: e.WHATSAPP_ACCOUNTS,
  };
}

/**
 * BLOCKED_COUNTRIES and BLOCKED_PREFIXES alone, read and defaulted exactly as the send function
 * reads them: the enqueue CLI refuses the recipients the sender would refuse, for the same reason.
 */
export function loadRecipientPolicy(env: NodeJS.ProcessEnv = process.env): RecipientPolicy {
  const e = parseEnv(sendEnvSchema.pick({ BLOCKED_COUNTRIES: true, BLOCKED_PREFIXES: true }), env, 'recipient policy');
  return { blockedCountries: e.BLOCKED_COUNTRIES, blockedPrefixes: e.BLOCKED_PREFIXES };
}

export interface StatusConfig extends StoreConfig {
  queues: {
    sendQueueUrl: string;
    deferredQueueUrl: string;
    statusQueueUrl: string;
    statusDeadLetterQueueUrl: string;
    feedQueueUrl: string;
  };
  controlTable: string;
  retryPolicy: RetryPolicy;
  optOutPolicy: OptOutPolicy;
  /** The accounts served: an opt-out belongs to the account of the number that received it. */
  accounts: ServedAccounts;
  /** Matching a status to an `unknown` job by recipient and time: how long after its claim (0: never). */
  unknownMatchWindowMs: number;
}

export function loadStatusConfig(env: NodeJS.ProcessEnv = process.env): StatusConfig {
  const e = parseEnv(statusEnvSchema, env, 'status');
  return {
    ...storeConfig(e),
    queues: {
      sendQueueUrl: e.SEND_QUEUE_URL,
      deferredQueueUrl: e.DEFERRED_QUEUE_URL,
      statusQueueUrl: e.STATUS_QUEUE_URL,
      statusDeadLetterQueueUrl: e.STATUS_DLQ_URL,
      feedQueueUrl: e.FEED_QUEUE_URL,
    },
    controlTable: e.CONTROL_TABLE,
    retryPolicy: retryPolicy(e),
    optOutPolicy: { payloads: e.OPT_OUT_PAYLOADS, stopKeywords: e.OPT_OUT_KEYWORDS, resumeKeywords: e.OPT_IN_KEYWORDS },
    unknownMatchWindowMs: e.UNKNOWN_MATCH_WINDOW_SECONDS * 1000,
    accounts: e.WHATSAPP_ACCOUNTS,
  };
}

export interface SweepConfig extends StoreConfig {
  /** Where a re-sent job's message goes. */
  queues: { sendQueueUrl: string; deferredQueueUrl: string };
  /** The automatic re-send of `unknown` jobs: absent when off. */
  unknownResend?: { windowMs: number };
}

/** The sweep marks jobs `dropped` and, if configured, re-sends `unknown` ones (then it needs the queues). */
export function loadSweepConfig(env: NodeJS.ProcessEnv = process.env): SweepConfig {
  const e = parseEnv(sweepEnvSchema, env, 'sweep');
  return {
    ...storeConfig(e),
    queues: { sendQueueUrl: e.SEND_QUEUE_URL, deferredQueueUrl: e.DEFERRED_QUEUE_URL },
    ...(e.UNKNOWN_RESEND_AUTOMATIC ? { unknownResend: { windowMs: e.UNKNOWN_RESEND_AFTER_SECONDS * 1000 } } : {}),
  };
}

export interface WebhookConfig {
  statusQueueUrl: string;
  /** Where progress statuses that name their job are written. */
  jobsTable: string;
  jobRetentionDays: number;
  appSecretParameter: string;
  verifyTokenParameter: string;
  secretCacheSeconds: number;
  maxBodyBytes: number;
  /** Events for any other account or phone number are counted and not queued. */
  accounts: ServedAccounts;
}

export function loadWebhookConfig(env: NodeJS.ProcessEnv = process.env): WebhookConfig {
  const e = parseEnv(webhookEnvSchema, env, 'webhook');
  return {
    statusQueueUrl: e.STATUS_QUEUE_URL,
    jobsTable: e.JOBS_TABLE,
    jobRetentionDays: e.JOB_RETENTION_DAYS,
    appSecretParameter: e.META_APP_SECRET_PARAMETER,
    verifyTokenParameter: e.WEBHOOK_VERIFY_TOKEN_PARAMETER,
    secretCacheSeconds: e.TOKEN_CACHE_SECONDS,
    maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
    accounts: e.WHATSAPP_ACCOUNTS,
  };
}

export interface ReleaseConfig {
  sendQueueUrl: string;
  deferredQueueUrl: string;
}

export interface CountsConfig {
  campaignsTable: string;
  counterShards: number;
}

export function loadCountsConfig(env: NodeJS.ProcessEnv = process.env): CountsConfig {
  const e = parseEnv(countsEnvSchema, env, 'countJobChanges');
  return { campaignsTable: e.CAMPAIGNS_TABLE, counterShards: e.COUNTER_SHARDS };
}

export function loadReleaseConfig(env: NodeJS.ProcessEnv = process.env): ReleaseConfig {
  const e = parseEnv(dispatchEnv, env, 'release');
  return { sendQueueUrl: e.SEND_QUEUE_URL, deferredQueueUrl: e.DEFERRED_QUEUE_URL };
}

export interface CampaignConfig extends StoreConfig {
  sendQueueUrl: string;
  feedQueueUrl: string;
  controlTable: string;
  rates: { defaultRate: number; byPhoneNumber: Readonly<Record<string, number>> };
  meta: MetaConfig;
  /** The accounts served: a campaign's templates are its number's account's. */
  accounts: ServedAccounts;
  recipientPolicy: RecipientPolicy;
  setTemplateTtl: boolean;
  feedHorizonSeconds: number;
  lookAheadSeconds: number;
}

export function loadCampaignConfig(env: NodeJS.ProcessEnv = process.env): CampaignConfig {
  const e = parseEnv(campaignEnvSchema, env, 'campaign');
  return {
    ...storeConfig(e),
    sendQueueUrl: e.SEND_QUEUE_URL,
    feedQueueUrl: e.FEED_QUEUE_URL,
    controlTable: e.CONTROL_TABLE,
    rates: { defaultRate: e.PHONE_NUMBER_RATE_PER_SECOND, byPhoneNumber: e.PHONE_NUMBER_RATES ?? {} },
    meta: metaConfig(e),
    accounts: e.WHATSAPP_ACCOUNTS,
    recipientPolicy: { blockedCountries: e.BLOCKED_COUNTRIES, blockedPrefixes: e.BLOCKED_PREFIXES },
    setTemplateTtl: e.CAMPAIGN_SET_TEMPLATE_TTL,
    feedHorizonSeconds: e.FEED_HORIZON_SECONDS,
    lookAheadSeconds: e.CAMPAIGN_LOOK_AHEAD_SECONDS,
  };
}
