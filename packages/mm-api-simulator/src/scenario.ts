import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { isKnownErrorCode } from './meta-errors.ts';
import { PER_USER_LIMIT_EXEMPT_CALLING_CODES, type PerUserMarketingCap } from './per-user-limit.ts';

/**
 * The simulator's scenario: accounts, templates, limits and an ordered list of rules that
 * inject outcomes. Documented field by field in the package README.
 */

const E164_NUMBER = /^\+?[1-9]\d{4,14}$/;

const latencySchema = z.union(
  [
    z.number().int().min(0).max(600_000),
    z
      .strictObject({ min: z.number().int().min(0).max(600_000), max: z.number().int().min(0).max(600_000) })
      .refine((range) => range.min <= range.max, { message: 'min must not exceed max', path: ['max'] }),
  ],
  { error: 'must be a number of milliseconds or { "min": ms, "max": ms } with min <= max' },
);

const errorCodeSchema = z
  .number()
  .int()
  .refine(isKnownErrorCode, {
    error: (issue) => `${String(issue.input)} is not an error code the simulator knows (the mm-api-simulator README lists them)`,
  });

/** Meta's example WABA id style; used when neither a template nor `webhooks.wabaId` names one. */
export const DEFAULT_WABA_ID = '100000000000000';

/** Meta's template statuses: https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management */
export const TEMPLATE_STATUSES = [
  'APPROVED',
  'PENDING',
  'REJECTED',
  'PAUSED',
  'DISABLED',
  'IN_APPEAL',
  'PENDING_DELETION',
  'DELETED',
  'ARCHIVED',
  'LIMIT_EXCEEDED',
] as const;
/** A template's `status`. */
export type TemplateStatus = (typeof TEMPLATE_STATUSES)[number];
/** Template `quality_score.score` and phone number `quality_rating` values. */
export const QUALITY_SCORES = ['GREEN', 'YELLOW', 'RED', 'UNKNOWN'] as const;
/** A template's quality score or a phone number's quality rating. */
export type QualityScore = (typeof QUALITY_SCORES)[number];
/** Meta's phone number `status` values. */
export const PHONE_NUMBER_STATUSES = [
  'CONNECTED',
  'FLAGGED',
  'RESTRICTED',
  'RATE_LIMITED',
  'PENDING',
  'DISCONNECTED',
  'BANNED',
  'DELETED',
  'MIGRATED',
  'UNVERIFIED',
  'UNKNOWN',
] as const;
/** Meta's `messaging_limit_tier` values. */
export const MESSAGING_LIMIT_TIERS = ['TIER_50', 'TIER_250', 'TIER_1K', 'TIER_10K', 'TIER_100K', 'TIER_UNLIMITED'] as const;

const phoneNumberSchema = z.strictObject({
  /** Meta's phone number id, as used in the URL path. */
  id: z.string().regex(/^\d{1,20}$/, 'must be a numeric phone number id'),
  /** Throughput: accepted sends in any sliding one-second window (Meta's default is 80). */
  ratePerSecond: z.number().int().positive().default(80),
  /** The business number itself, so that sending to it fails with 131021. */
  displayPhoneNumber: z.string().regex(E164_NUMBER, 'must be an E.164 number like +15550001111').optional(),
  /** False models a number whose id exists but is not registered: every send fails with 133010. */
  registered: z.boolean().default(true),
  // What `GET /{phone-number-id}` reports (see graph-objects.ts for the defaults); sends ignore them.
  /** `status` of Meta's phone number object; default CONNECTED. */
  status: z.enum(PHONE_NUMBER_STATUSES).optional(),
  /** `quality_rating`; default GREEN. */
  qualityRating: z.enum(QUALITY_SCORES).optional(),
  /** `throughput.level`; default HIGH above Meta's standard 80/s, else STANDARD. */
  throughputLevel: z.enum(['STANDARD', 'HIGH']).optional(),
  /** `messaging_limit_tier`; default TIER_1K. */
  messagingLimitTier: z.enum(MESSAGING_LIMIT_TIERS).optional(),
  /** `verified_name`; default "Simulated Business". */
  verifiedName: z.string().min(1).optional(),
});

const ttlRangeByCategory: Record<string, { min: number; max: number }> = {
  // Marketing templates take 12 hours to 30 days:
  // https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live
  MARKETING: { min: 43_200, max: 2_592_000 },
};

/**
 * One button of a template, as Meta's template components describe it: a URL button (a `{{1}}` at
 * the end of its URL makes it dynamic), a quick reply, a copy-code button or a phone number button.
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
 */
const templateButtonSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('URL'), text: z.string().min(1).max(25), url: z.url() }),
  z.strictObject({ type: z.literal('QUICK_REPLY'), text: z.string().min(1).max(25) }),
  z.strictObject({ type: z.literal('COPY_CODE'), example: z.string().min(1).max(15).optional() }),
  z.strictObject({ type: z.literal('PHONE_NUMBER'), text: z.string().min(1).max(25), phoneNumber: z.string().min(5).max(20) }),
]);

const templateSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be lowercase letters, digits and underscores, like Meta template names'),
    category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']),
    /** Approved translations, e.g. ["en_US", "de_DE"]. */
    languages: z.array(z.string().regex(/^[a-z]{2,3}(_[A-Za-z0-9]{2,4})?$/, 'must be a language code like en_US')).min(1),
    /** Number of `{{n}}` variables in the body: sends must pass exactly this many body parameters. */
    bodyParams: z.number().int().min(0).default(0),
    /** `message_send_ttl_seconds` of the template; default Meta's (30 days, authentication 10 minutes). */
    ttlSeconds: z.number().int().positive().optional(),
    /** Graph id of the translation; only with one language. Default: derived from name and language. */
    id: z
      .string()
      .regex(/^[1-9]\d{0,14}$/, 'must be a numeric template id of at most 15 digits')
      .optional(),
    /** Default APPROVED; sends of a PAUSED (132015), DISABLED (132016) or otherwise unapproved (132001) template fail. */
    status: z.enum(TEMPLATE_STATUSES).optional(),
    /** `quality_score.score`; default UNKNOWN ("quality pending", as for a new template). */
    qualityScore: z.enum(QUALITY_SCORES).optional(),
    /** `parameter_format`; default POSITIONAL (`{{1}}`), NAMED needs `namedParams`. */
    parameterFormat: z.enum(['POSITIONAL', 'NAMED']).optional(),
    /** The body's `{{name}}` parameters of a NAMED template; sends must name exactly these. */
    namedParams: z
      .array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lowercase letters, digits and underscores'))
      .min(1)
      .optional(),
    /** The BODY component's text; default one built from the parameters. */
    bodyText: z.string().min(1).max(1024).optional(),
    /** A TEXT HEADER component's text (at most one parameter, e.g. "Our {{1}} is on!"); default no header. */
    headerText: z.string().min(1).max(60).optional(),
    /** The BUTTONS component's buttons, in order (a button's index is its position); default none. */
    buttons: z.array(templateButtonSchema).min(1).max(10).optional(),
    /** The WhatsApp Business Account owning the template; default `webhooks.wabaId`, else 100000000000000. */
    wabaId: z
      .string()
      .regex(/^\d{1,20}$/, 'must be a numeric WhatsApp Business Account id')
      .optional(),
  })
  .superRefine((template, ctx) => {
    if (template.id !== undefined && template.languages.length !== 1) {
      ctx.addIssue({ code: 'custom', path: ['id'], message: 'needs exactly one language: give each translation its own entry' });
    }
    const named = template.parameterFormat === 'NAMED';
    if (named !== (template.namedParams !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['namedParams'], message: 'goes with parameterFormat NAMED, and NAMED needs it' });
    }
    if (template.namedParams && template.bodyParams !== 0 && template.bodyParams !== template.namedParams.length) {
      ctx.addIssue({ code: 'custom', path: ['bodyParams'], message: 'must equal the number of namedParams (or be left out)' });
    }
    const range = ttlRangeByCategory[template.category];
    if (range && template.ttlSeconds !== undefined && (template.ttlSeconds < range.min || template.ttlSeconds > range.max)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ttlSeconds'],
        message: `must be between ${range.min} and ${range.max} for ${template.category} templates`,
      });
    }
  });

/** A send that is accepted (200) and then fails in a `failed` status webhook. */
const asyncOutcomeSchema = z.strictObject({
  /** The code the `failed` status webhook carries, e.g. 131049. */
  failWith: errorCodeSchema,
  /** `"sent"`: a `sent` status precedes the `failed` one. Default: `failed` alone. */
  after: z.literal('sent').optional(),
});

/**
 * Meta's silent TTL drop: the send is accepted (200) but the message is never delivered within its
 * TTL, so it gets no `delivered`, `read` or `failed` status, and no error.
 * See https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live
 */
const dropSchema = z.strictObject({
  /** `"sent"`: a `sent` status goes out first, then nothing. Default: no status at all. */
  after: z.literal('sent').optional(),
});

/** The recipient opts out of marketing shortly after the message is delivered, through one of three channels. */
const optOutSchema = z.strictObject({
  /**
   * `user_preferences`: WhatsApp's own Stop control (sets the simulator's opt-out state, so later
   * marketing sends fail with 131050); `quick_reply`: taps a quick-reply button; `keyword`: types a
   * text. The last two are only messages: honouring them is the business's job.
   */
  via: z.enum(['user_preferences', 'quick_reply', 'keyword']),
  /** Quick-reply button payload. */
  payload: z.string().min(1).max(256).default('STOP_PROMOTIONS'),
  /** The text typed for `keyword`. */
  keyword: z.string().min(1).max(4096).default('STOP'),
});

const ruleSchema = z
  .strictObject({
    /** Shown in call records; also salts `fraction` so that rules pick independent recipients. */
    name: z.string().min(1).optional(),

    // Matchers: every one given must match; a rule without matchers matches every send.
    recipients: z.array(z.string().regex(E164_NUMBER, 'must be an E.164 number like +4915112345678')).min(1).optional(),
    recipientPrefix: z
      .string()
      .regex(/^\+?\d+$/, 'must be digits, optionally after a "+"')
      .optional(),
    recipientSuffix: z.string().regex(/^\d+$/, 'must be digits').optional(),
    fraction: z.number().min(0).max(1).optional(),
    /** Overrides the name as the `fraction` hash salt, to pick another deterministic subset. */
    salt: z.string().optional(),
    template: z.string().min(1).optional(),
    phoneNumberId: z
      .string()
      .regex(/^\d{1,20}$/, 'must be a numeric phone number id')
      .optional(),

    // Effects.
    error: errorCodeSchema.optional(),
    /** Replaces the standard `error_data.details` of `error`. */
    errorDetails: z.string().min(1).optional(),
    timeout: z.literal(true).optional(),
    reset: z.literal(true).optional(),
    latencyMs: latencySchema.optional(),
    messageStatus: z.enum(['accepted', 'held_for_quality_assessment', 'paused']).optional(),
    async: asyncOutcomeSchema.optional(),
    /** The message is accepted and then silently dropped (never delivered within its TTL). */
    drop: dropSchema.optional(),
    /**
     * The send is not eligible for the MM API: with `product_policy` CLOUD_API_FALLBACK (Meta's
     * default) it goes through the Cloud API (pricing category `marketing`), with STRICT it fails
     * with 131055. Ignored on /messages, which is the Cloud API already.
     */
    fallback: z.literal(true).optional(),
    optOut: optOutSchema.optional(),

    /** Apply only to the first N matching sends per recipient, then fall through to later rules. */
    times: z.number().int().positive().optional(),
  })
  .superRefine((rule, ctx) => {
    const terminal = (['error', 'timeout', 'reset'] as const).filter((key) => rule[key] !== undefined);
    if (terminal.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [terminal[1] ?? 'error'],
        message: `cannot be combined with ${terminal[0]}: a rule has one outcome`,
      });
    }
    if (terminal.length > 0) {
      for (const successOnly of ['messageStatus', 'async', 'drop', 'fallback', 'optOut'] as const) {
        if (rule[successOnly] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [successOnly], message: `only applies to accepted sends, not with ${terminal[0]}` });
        }
      }
    }
    if (rule.optOut !== undefined && rule.async !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['optOut'], message: 'needs a delivered message, so it cannot be combined with async' });
    }
    if (rule.drop !== undefined) {
      for (const other of ['async', 'optOut'] as const) {
        if (rule[other] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['drop'],
            message: `cannot be combined with ${other}: a dropped message is never delivered${other === 'async' ? ' nor failed' : ''}`,
          });
        }
      }
    }
    if (rule.errorDetails !== undefined && rule.error === undefined) {
      ctx.addIssue({ code: 'custom', path: ['errorDetails'], message: 'needs error' });
    }
  });

const webhooksSchema = z.strictObject({
  /** Signs every POST: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. */
  appSecret: z.string().min(1),
  /** `entry[].id` of every payload. */
  wabaId: z
    .string()
    .regex(/^\d{1,20}$/, 'must be a numeric WhatsApp Business Account id')
    .default('100000000000000'),
  /** Delay between consecutive steps of a message's lifecycle (and before the first, after the answer). */
  delayMs: latencySchema.default(() => ({ min: 50, max: 300 })),
  /** Probability that a delivered POST is delivered a second time, byte for byte. */
  duplicateRate: z.number().min(0).max(1).default(0),
  /** Post each message's statuses out of their logical order (their timestamps keep it). */
  reorder: z.boolean().default(false),
  /** Share of recipients who read (hashed per recipient, so a recipient always reads or never does). */
  readRate: z.number().min(0).max(1).default(0.6),
  /** Above 1, statuses of one phone number that fall due together share a POST. */
  maxStatusesPerPost: z.number().int().min(1).max(1000).default(1),
  /** Anything but HTTP 200 is retried after initialDelayMs × 2^n, up to maxAttempts attempts in all. */
  retry: z
    .strictObject({
      initialDelayMs: z.number().int().min(1).max(3_600_000).default(500),
      maxAttempts: z.number().int().min(1).max(50).default(8),
    })
    .default(() => ({ initialDelayMs: 500, maxAttempts: 8 })),
});

const perUserMarketingCapSchema = z
  .strictObject({
    /** Delivered marketing-template messages a recipient may get per window; the next one fails with 131049. */
    maxPerWindow: z.number().int().min(0),
    /** Sliding window, seconds (Meta: 24 hours). */
    windowSeconds: z.number().positive().default(86_400),
    /** After a 131049, marketing sends to that recipient within this many seconds fail with 131049 too. Default: windowSeconds. */
    earlyResendBlocksSeconds: z.number().min(0).optional(),
    /**
     * Calling codes whose recipients (and business numbers) the cap skips. Default: EEA, UK,
     * Japan, South Korea, as Meta does; `[]` caps everyone (e.g. a demo of European numbers).
     */
    exemptCallingCodes: z
      .array(z.string().regex(/^[1-9]\d{0,3}$/, 'must be a country calling code like "49"'))
      .default(() => [...PER_USER_LIMIT_EXEMPT_CALLING_CODES]),
  })
  .transform((cap): PerUserMarketingCap => ({ ...cap, earlyResendBlocksSeconds: cap.earlyResendBlocksSeconds ?? cap.windowSeconds }));

/** The scenario schema: validate untrusted JSON with it (or use {@link parseScenario}). */
export const scenarioSchema = z
  .strictObject({
    description: z.string().optional(),
    /** Bearer tokens the simulator accepts. */
    tokens: z
      .array(z.string().min(1))
      .min(1)
      .default(() => ['local-dev-token']),
    phoneNumbers: z
      .array(phoneNumberSchema)
      .min(1)
      .default(() => [{ id: '100000000000001', ratePerSecond: 80, registered: true }]),
    templates: z.array(templateSchema).default(() => [
      { name: 'autumn_sale', category: 'MARKETING' as const, languages: ['en_US', 'de_DE'], bodyParams: 1, ttlSeconds: 86_400 },
      { name: 'order_update', category: 'UTILITY' as const, languages: ['en_US', 'de_DE'], bodyParams: 1 },
    ]),
    /** Added before every answer of the send endpoints; a matching rule's latencyMs replaces it. */
    latencyMs: latencySchema.default(0),
    /**
     * WhatsApp ids that differ from the dialled number, keyed by the E.164 number: answered as
     * `contacts[0].wa_id` and used as the statuses' `recipient_id`. On WhatsApp this happens in
     * Brazil and Mexico (a number registered before the 9th digit or the "1" after +52 changed).
     */
    waIds: z
      .record(
        z.string().regex(/^\+[1-9]\d{4,14}$/, 'must be an E.164 number with its "+", like +5511987654321'),
        z.string().regex(/^\d{5,15}$/, 'must be digits'),
      )
      .default(() => ({})),
    /** Meta's limit on one business number messaging one user too fast (131056). */
    pairRateLimit: z.boolean().default(true),
    pairBurst: z.number().int().positive().default(45),
    pairIntervalSeconds: z.number().positive().default(6),
    /** Ordered; the first rule that matches decides. */
    rules: z.array(ruleSchema).default(() => []),
    /** Signed status and user webhooks to the target set at runtime (`setWebhookTarget`); none without this. */
    webhooks: webhooksSchema.optional(),
    /** Meta's per-user marketing limit (131049), modelled as a fixed cap per sliding window. */
    perUserMarketingCap: perUserMarketingCapSchema.optional(),
  })
  .superRefine((scenario, ctx) => {
    reportDuplicates(
      scenario.phoneNumbers.map((phone) => phone.id),
      'phoneNumbers',
      'id',
      ctx,
    );
    reportDuplicateTranslations(scenario.templates, ctx);
    const templateNames = new Set(scenario.templates.map((template) => template.name));
    const phoneIds = new Set(scenario.phoneNumbers.map((phone) => phone.id));
    scenario.rules.forEach((rule, index) => {
      if (rule.template !== undefined && !templateNames.has(rule.template)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'template'],
          message: `"${rule.template}" is not one of the scenario's templates`,
        });
      }
      if (rule.phoneNumberId !== undefined && !phoneIds.has(rule.phoneNumberId)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'phoneNumberId'],
          message: `"${rule.phoneNumberId}" is not one of the scenario's phoneNumbers`,
        });
      }
    });
  });

/** A name may repeat across entries (one per translation, each with its own id) but not per language. */
function reportDuplicateTranslations(templates: readonly { name: string; languages: string[]; id?: string }[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  const ids = new Set<string>();
  templates.forEach((template, index) => {
    for (const language of template.languages) {
      const key = `${template.name} in ${language}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['templates', index, 'name'], message: `duplicate "${key}"` });
      seen.add(key);
    }
    if (template.id !== undefined && ids.has(template.id)) {
      ctx.addIssue({ code: 'custom', path: ['templates', index, 'id'], message: `duplicate "${template.id}"` });
    }
    if (template.id !== undefined) ids.add(template.id);
  });
}

function reportDuplicates(values: string[], arrayField: string, keyField: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) ctx.addIssue({ code: 'custom', path: [arrayField, index, keyField], message: `duplicate "${value}"` });
    seen.add(value);
  });
}

/** A validated scenario with every default filled in. */
export type Scenario = z.output<typeof scenarioSchema>;
/** What a scenario file or `setScenario` may contain: every field is optional. */
export type ScenarioInput = z.input<typeof scenarioSchema>;
/** One entry of `rules`: matchers and one effect, defaults filled in. */
export type ScenarioRule = Scenario['rules'][number];
/** One template entry of the scenario (a name with one or more translations). */
export type ScenarioTemplate = Scenario['templates'][number];
/** One button of a scenario template. */
export type ScenarioTemplateButton = NonNullable<ScenarioTemplate['buttons']>[number];
/** One business phone number of the scenario. */
export type ScenarioPhoneNumber = Scenario['phoneNumbers'][number];
/** A fixed delay or a uniform range, in milliseconds. */
export type Latency = Scenario['latencyMs'];

/** A delay drawn from a fixed value or a uniform range (whole milliseconds, both ends included). */
export function sampleLatency(latency: Latency, random: () => number = Math.random): number {
  if (typeof latency === 'number') return latency;
  return latency.min + Math.floor(random() * (latency.max - latency.min + 1));
}
/** A rule's `async`: the send is accepted, then fails in a `failed` status webhook. */
export type AsyncOutcome = NonNullable<ScenarioRule['async']>;
/** A rule's `optOut`: how the recipient opts out after delivery. */
export type OptOutEffect = NonNullable<ScenarioRule['optOut']>;
/** The `webhooks` settings with defaults filled in. */
export type WebhookSettings = NonNullable<Scenario['webhooks']>;

/** A scenario that failed validation; `issues` name each bad field (`rules[2].error: …`). */
export class ScenarioError extends Error {
  readonly issues: readonly string[];

  constructor(source: string | undefined, issues: readonly string[]) {
    super(`Invalid scenario${source ? ` in ${source}` : ''}:\n${issues.map((issue) => `  - ${issue}`).join('\n')}`);
    this.name = 'ScenarioError';
    this.issues = issues;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : `${text ? '.' : ''}${String(segment)}`;
  }
  return text;
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.flatMap((issue) => {
    const where = formatPath(issue.path);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `${where ? `${where}.` : ''}${key}: unknown field`);
    }
    return [`${where || '(root)'}: ${issue.message}`];
  });
}

/**
 * Validates a scenario object and fills in defaults.
 *
 * @param source Named in the error message (a file path, "POST /_sim/scenario").
 * @throws ScenarioError naming every bad field.
 */
export function parseScenario(input: unknown, source?: string): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) throw new ScenarioError(source, formatIssues(result.error));
  return result.data;
}

/**
 * Reads and validates a scenario JSON file.
 *
 * @throws ScenarioError when the file cannot be read, is not JSON, or fails validation.
 */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ScenarioError(path, [`cannot read the file: ${(cause as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ScenarioError(path, [`not valid JSON: ${(cause as Error).message}`]);
  }
  return parseScenario(json, path);
}
