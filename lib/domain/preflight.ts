import type { Campaign } from './campaign-contract.ts';

/**
 * The rules a campaign's launch checks before anything is enqueued: the template can be sent
 * through the MM API with the campaign's parameters, the campaign's validity and the template's
 * TTL agree, and the phone number may send (and how fast). Pure: the caller reads the template and
 * the phone number through the Graph API (`lib/campaigns/preflight.ts`) and acts on the answers.
 * Each problem is said in words an operator can act on, naming what was found and what is needed.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/throughput
 */

export type PreflightProblemCode =
  | 'template-missing'
  | 'template-not-approved'
  | 'template-not-marketing'
  | 'template-quality-red'
  | 'body-parameters-mismatch'
  | 'header-parameter-mismatch'
  | 'button-parameters-mismatch'
  | 'validity-differs-from-ttl'
  | 'template-ttl-not-set'
  | 'phone-number-not-served'
  | 'phone-number-missing'
  | 'phone-number-cannot-send'
  | 'audience-missing'
  | 'audience-empty'
  | 'audience-unreadable'
  | 'audience-columns-missing';

export interface PreflightProblem {
  code: PreflightProblemCode;
  message: string;
}

/** The template as the checks need it (the Graph API's view: `TemplateInfo` of `lib/ports/whatsapp-account.ts`). */
export interface TemplateFacts {
  name: string;
  language: string;
  status: string;
  category: string;
  qualityScore?: string | undefined;
  parameterFormat: 'POSITIONAL' | 'NAMED';
  bodyParameters: { count: number; names: readonly string[] };
  headerTextParameter: boolean;
  buttons: ReadonlyArray<{ index: number; type: string; takesParameter: boolean }>;
  ttlSeconds?: number | undefined;
}

/** The phone number as the rate rule needs it (`PhoneNumberInfo` of the port). */
export interface PhoneFacts {
  id: string;
  status: string;
  throughputLevel?: string | undefined;
}

const problem = (code: PreflightProblemCode, message: string): PreflightProblem => ({ code, message });

/** The problem for a campaign on a phone number that no account of WHATSAPP_ACCOUNTS lists. */
export function numberNotServed(campaign: Campaign): PreflightProblem {
  return problem(
    'phone-number-not-served',
    `phone number ${campaign.phoneNumberId} is not one this deployment serves (WHATSAPP_ACCOUNTS lists each account's numbers)`,
  );
}

/** The problem for a template that is not in the business account in that language. */
export function templateMissing(campaign: Campaign, businessAccountId: string): PreflightProblem {
  const { name, language } = campaign.template;
  return problem(
    'template-missing',
    `template "${name}" does not exist in language ${language} in WhatsApp Business Account ${businessAccountId}`,
  );
}

/** Why each status other than APPROVED cannot be sent, as Meta's template management page says. */
const NOT_APPROVED_REASONS: Readonly<Record<string, string>> = {
  PAUSED: 'Meta paused it for low quality; sends are refused until it is active again',
  DISABLED: 'Meta disabled it for low quality; it cannot be sent again',
  PENDING: 'it is still in review',
  REJECTED: 'Meta rejected it in review',
};

/** Everything about the template that stops the launch; empty when it can be sent with the campaign's parameters. */
export function checkTemplate(campaign: Campaign, template: TemplateFacts): PreflightProblem[] {
  const label = `template "${template.name}" (${template.language})`;
  const problems: PreflightProblem[] = [];
  if (template.status !== 'APPROVED') {
    const why = NOT_APPROVED_REASONS[template.status] ?? 'only APPROVED templates can be sent';
    problems.push(problem('template-not-approved', `${label} is ${template.status}, not APPROVED: ${why}`));
  }
  // The MM API sends marketing templates only (docs/meta-api.md#sending).
  if (template.category !== 'MARKETING') {
    problems.push(
      problem(
        'template-not-marketing',
        `${label} is a ${template.category} template; the Marketing Messages API sends MARKETING ones only`,
      ),
    );
  }
  // A RED template is about to be paused by Meta: launching a whole audience on it would only hasten that.
  if (template.qualityScore === 'RED') {
    problems.push(problem('template-quality-red', `${label} has quality RED; Meta pauses templates of low quality`));
  }
  return [
    ...problems,
    ...checkBody(campaign, template, label),
    ...checkHeader(campaign, template, label),
    ...checkButtons(campaign, template, label),
  ];
}

function checkBody(campaign: Campaign, template: TemplateFacts, label: string): PreflightProblem[] {
  const body = campaign.template.body;
  const { count, names } = template.bodyParameters;
  if (template.parameterFormat === 'POSITIONAL') {
    if (body !== undefined && !Array.isArray(body) && Object.keys(body).length > 0) {
      return [
        problem(
          'body-parameters-mismatch',
          `${label} has positional body parameters ({{1}}…); the campaign maps them by name (${Object.keys(body).join(', ')}): give a list instead`,
        ),
      ];
    }
    const given = Array.isArray(body) ? body.length : 0;
    if (given === count) return [];
    return [problem('body-parameters-mismatch', `${label} takes ${count} body parameter(s); the campaign gives ${given}`)];
  }
  if (Array.isArray(body) && body.length > 0) {
    return [
      problem(
        'body-parameters-mismatch',
        `${label} has named body parameters (${names.join(', ')}); the campaign gives a list: map them by name instead`,
      ),
    ];
  }
  const given = Object.keys(body && !Array.isArray(body) ? body : {});
  const missing = names.filter((name) => !given.includes(name));
  const extra = given.filter((name) => !names.includes(name));
  if (missing.length === 0 && extra.length === 0) return [];
  const parts = [
    ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
    ...(extra.length > 0 ? [`not in the template: ${extra.join(', ')}`] : []),
  ];
  return [problem('body-parameters-mismatch', `${label} takes the body parameters ${names.join(', ') || '(none)'}; ${parts.join('; ')}`)];
}

function checkHeader(campaign: Campaign, template: TemplateFacts, label: string): PreflightProblem[] {
  const given = campaign.template.header !== undefined;
  if (given === template.headerTextParameter) return [];
  return [
    problem(
      'header-parameter-mismatch',
      template.headerTextParameter
        ? `${label} has a header text parameter; the campaign gives none`
        : `${label} has no header text parameter; the campaign gives one`,
    ),
  ];
}

/**
 * A URL button with a `{{1}}` and a copy-code button cannot be sent without their parameter. A
 * quick reply's payload is optional: without it, the reply carries the button's text. Every
 * parameter the campaign maps must fit a button of the template, at that index and of that kind.
 */
function checkButtons(campaign: Campaign, template: TemplateFacts, label: string): PreflightProblem[] {
  const mapped = campaign.template.buttons ?? [];
  const messages: string[] = [];
  for (const button of template.buttons) {
    const required = button.takesParameter && button.type !== 'quick_reply';
    if (required && !mapped.some((given) => given.index === button.index)) {
      messages.push(`button ${button.index} (${button.type}) needs a parameter; the campaign gives none`);
    }
  }
  mapped.forEach((given, position) => {
    const button = template.buttons.find((candidate) => candidate.index === given.index);
    if (mapped.findIndex((other) => other.index === given.index) !== position) {
      messages.push(`button ${given.index} is mapped more than once`);
    } else if (!button) messages.push(`the template has no button ${given.index}`);
    else if (button.type !== given.subType)
      messages.push(`button ${given.index} is ${button.type}, the campaign maps it as ${given.subType}`);
    else if (!button.takesParameter) messages.push(`button ${given.index} (${button.type}) takes no parameter`);
  });
  return messages.length === 0 ? [] : [problem('button-parameters-mismatch', `${label}: ${messages.join('; ')}`)];
}

/**
 * Meta's TTL of a marketing template that sets none: 30 days (docs/meta-api.md#time-to-live,
 * from https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live).
 */
export const DEFAULT_MARKETING_TTL_SECONDS = 30 * 24 * 3_600;

export interface ValidityQuestion {
  campaign: Pick<Campaign, 'validitySeconds' | 'template'>;
  /** The template's `message_send_ttl_seconds`; undefined when Meta returned none (its default applies). */
  templateTtlSeconds: number | undefined;
  /** Whether the launch may edit the template's TTL (`CAMPAIGN_SET_TEMPLATE_TTL`). */
  setTtlAllowed: boolean;
}

export type ValidityDecision =
  /** The validity and the TTL agree as they are. */
  | { action: 'keep'; validitySeconds: number; templateTtlSeconds: number }
  /** Set the template's TTL to the campaign's validity first; `templateTtlSeconds` is the TTL after that edit. */
  | { action: 'set-template-ttl'; validitySeconds: number; templateTtlSeconds: number; currentTtlSeconds: number }
  | { action: 'refuse'; problem: PreflightProblem };

/**
 * Each job's validity and the template's TTL must be equal: a TTL shorter than the validity lets
 * Meta drop messages the sender still counts as valid, and a longer one lets Meta deliver after the
 * validity ended (docs/meta-api.md#time-to-live). A campaign without a validity takes the TTL.
 */
export function decideValidity({ campaign, templateTtlSeconds, setTtlAllowed }: ValidityQuestion): ValidityDecision {
  const ttl = templateTtlSeconds ?? DEFAULT_MARKETING_TTL_SECONDS;
  const validity = campaign.validitySeconds;
  if (validity === undefined || validity === ttl) return { action: 'keep', validitySeconds: ttl, templateTtlSeconds: ttl };
  if (setTtlAllowed) return { action: 'set-template-ttl', validitySeconds: validity, templateTtlSeconds: validity, currentTtlSeconds: ttl };
  const { name, language } = campaign.template;
  const source = templateTtlSeconds === undefined ? " (Meta's default, the template sets none)" : '';
  return {
    action: 'refuse',
    problem: problem(
      'validity-differs-from-ttl',
      `the campaign's validity is ${validity} s but template "${name}" (${language}) has a TTL of ${ttl} s${source}; ` +
        `make them equal (change validitySeconds, edit the template's TTL, or allow CAMPAIGN_SET_TEMPLATE_TTL)`,
    ),
  };
}

/**
 * Phone number statuses that may send. Only CONNECTED: every other status Meta reports (PENDING,
 * FLAGGED, RESTRICTED, RATE_LIMITED, DISCONNECTED, MIGRATED, UNVERIFIED, DELETED, BANNED…) means
 * the number is not registered, is losing its messaging limit for low quality, or may not message
 * users, and a whole campaign would be refused or make it worse.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/phone-number-api
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/business-phone-numbers/phone-numbers
 */
export const SENDING_PHONE_STATUSES: ReadonlySet<string> = new Set(['CONNECTED']);

/**
 * Messages per second by `throughput.level`: 80 by default, 1,000 after Meta's automatic upgrade
 * (docs/meta-api.md#limits). A level Meta adds later is taken as the default until known.
 */
export const RATE_BY_THROUGHPUT_LEVEL: Readonly<Record<string, number>> = { STANDARD: 80, HIGH: 1_000 };
const DEFAULT_RATE_PER_SECOND = 80;

export type RateDecision = { ok: true; ratePerSecond: number } | { ok: false; problem: PreflightProblem };

/** The campaign's rate: the number's throughput tier, capped by the configured rate; refused when the number may not send. */
export function rateFromPhone({ phone, configuredRate }: { phone: PhoneFacts; configuredRate: number }): RateDecision {
  if (!SENDING_PHONE_STATUSES.has(phone.status)) {
    return {
      ok: false,
      problem: problem('phone-number-cannot-send', `phone number ${phone.id} has status ${phone.status}; only a CONNECTED number can send`),
    };
  }
  const tierRate = RATE_BY_THROUGHPUT_LEVEL[phone.throughputLevel ?? 'STANDARD'] ?? DEFAULT_RATE_PER_SECOND;
  return { ok: true, ratePerSecond: Math.min(tierRate, configuredRate) };
}
