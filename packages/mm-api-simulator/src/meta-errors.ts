/**
 * What Meta answers for each error code the simulator can produce: the title that follows
 * `(#CODE)` in `error.message`, the `error_data.details` text, and the HTTP status.
 *
 * Covers every code Meta documents for sending marketing messages (codes 200–299 through
 * {@link metaErrorDefinition}); the package README lists them all, and a test keeps the two in step.
 * Titles and details follow Meta's error-codes page where it gives them; where Meta is silent
 * (mostly the MM-API-only 1341xx codes) the text is the simulator's paraphrase. Senders must
 * branch on `code`, never on the text or the HTTP status.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 */

/** Where Meta reports the code: in the HTTP answer, in a `failed` status webhook, or both. */
export type ErrorChannel = 'sync' | 'async' | 'both';

/** Meta's answer for one error code. */
export interface MetaErrorDefinition {
  readonly code: number;
  /** Short text; the error body's `message` is `(#code) title`. */
  readonly title: string;
  /** `error.error_data.details`. */
  readonly details: string;
  /** Meta says not to rely on it; the simulator still answers with the documented one. */
  readonly httpStatus: number;
  /** Graph's `error.type`: nearly everything on the WhatsApp endpoints is `OAuthException`. */
  readonly type: string;
  readonly channel: ErrorChannel;
  /**
   * Answered by Graph's OAuth layer before WhatsApp sees the request: `message` is the bare
   * title (no `(#code)` prefix) and there is no `error_data`.
   */
  readonly graphLevel: boolean;
}

type Entry = Pick<MetaErrorDefinition, 'title' | 'details'> &
  Partial<Pick<MetaErrorDefinition, 'type' | 'httpStatus' | 'channel' | 'graphLevel'>>;

const ENTRIES: Record<number, Entry> = {
  // Authentication and permissions (HTTP 401 / 403).
  0: { title: 'AuthException', details: 'We were unable to authenticate the app user.', httpStatus: 401 },
  190: {
    title: 'Invalid OAuth access token - Cannot parse access token',
    details: 'Your access token has expired or is invalid.',
    httpStatus: 401,
    graphLevel: true,
  },
  3: { title: 'API Method', details: 'Capability or permissions issue.', httpStatus: 403 },
  10: { title: 'Permission Denied', details: 'Permission is either not granted or has been removed.', httpStatus: 403 },
  200: { title: 'API Permission', details: 'Permission is either not granted or has been removed.', httpStatus: 403 },

  // Account state.
  368: {
    title: 'Temporarily blocked for policies violations',
    details: 'The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy.',
  },
  130497: {
    title: 'Business account is restricted from messaging users in this country',
    details: 'The WhatsApp Business Account is restricted from messaging to users in certain countries.',
  },
  131031: {
    title: 'Account has been locked',
    details: 'The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy.',
  },
  131042: {
    title: 'Business eligibility payment issue',
    details: 'There was an error related to your payment method.',
    channel: 'both',
  },
  133010: {
    title: 'Account not registered',
    details: 'The phone number is not registered on the WhatsApp Business Platform.',
  },
  134102: {
    title: 'Template unavailable for the Marketing Messages API',
    details: 'The template or the WhatsApp Business Account is not eligible for the Marketing Messages API.',
    httpStatus: 500,
  },

  // Transient: unknown errors and downtime.
  1: { title: 'An unknown error occurred', details: 'Invalid request or possible server error.' },
  2: { title: 'Service temporarily unavailable', details: 'Temporary due to downtime or due to being overloaded.' },
  131000: { title: 'Something went wrong', details: 'Message failed to send due to an unknown error.' },
  131016: { title: 'Service unavailable', details: 'A service is temporarily unavailable.' },
  133004: { title: 'Server temporarily unavailable', details: 'Cloud API server is temporarily unavailable.' },

  // Rate limits.
  4: { title: 'Application request limit reached', details: 'The app has reached its API call rate limit.' },
  80007: { title: 'Rate limit issues', details: 'The WhatsApp Business Account has reached its rate limit.' },
  130429: { title: 'Rate limit hit', details: 'Cloud API message throughput has been reached.' },
  131056: {
    title: '(Business Account, Consumer Account) pair rate limit hit',
    details: 'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.',
  },
  131057: { title: 'Account in maintenance mode', details: 'Business Account is in maintenance mode.' },
  134101: {
    title: 'Template is still syncing',
    details: 'The template has not finished syncing to the Marketing Messages API yet. Try again later.',
  },

  // The request or the template is wrong.
  100: { title: 'Invalid parameter', details: 'The request included one or more unsupported or misspelled parameters.' },
  131008: { title: 'Required parameter is missing', details: 'The request is missing a required parameter.' },
  131009: { title: 'Parameter value is not valid', details: 'One or more parameter values are invalid.' },
  131051: { title: 'Unsupported message type', details: 'Unsupported message type.' },
  131055: { title: 'Method not allowed', details: 'The method is not allowed for this endpoint.' },
  134100: {
    title: 'Template is not a marketing template',
    details: 'Only templates of category MARKETING can be sent through the Marketing Messages API.',
  },
  132000: {
    title: 'Number of parameters does not match the expected number of params',
    details:
      'The number of variable parameter values included in the request did not match the number of variable parameters defined in the template.',
  },
  132001: {
    title: 'Template name does not exist in the translation',
    details: 'The template does not exist in the specified language or the template has not been approved.',
  },
  132005: { title: 'Template Hydrated Text Too Long', details: 'Translated text is too long.' },
  132007: { title: 'Template Format Character Policy Violated', details: 'Template content violates a WhatsApp policy.' },
  132012: {
    title: 'Parameter format does not match format in the created template',
    details: 'Variable parameter values formatted incorrectly.',
  },
  132018: { title: 'Template Parameter Issues', details: 'There was an issue with the parameters in your template.' },
  132015: {
    title: 'Template is Paused',
    details: 'Template is paused due to low quality so it cannot be sent in a template message.',
    channel: 'both',
  },
  132016: {
    title: 'Template is Disabled',
    details: 'Template has been paused too many times due to low quality and is now permanently disabled.',
    channel: 'both',
  },
  131021: { title: 'Recipient cannot be sender', details: 'Sender and recipient phone number is the same.' },
  131047: {
    title: 'Re-engagement message',
    details: 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
  },

  // Documented as asynchronous (status webhook), injectable synchronously for robustness tests.
  131026: {
    title: 'Message undeliverable',
    details:
      'Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted the new Terms of Service; the recipient uses an old WhatsApp version.',
    channel: 'async',
  },
  131049: {
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.',
    channel: 'async',
  },
  131050: {
    title: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    details: 'The recipient stopped marketing messages from this business.',
    channel: 'async',
  },
  130472: {
    title: "User's number is part of an experiment",
    details: 'Message was not sent as part of an experiment.',
    channel: 'async',
  },
};

function complete(code: number, entry: Entry): MetaErrorDefinition {
  return {
    code,
    title: entry.title,
    details: entry.details,
    httpStatus: entry.httpStatus ?? 400,
    type: entry.type ?? 'OAuthException',
    channel: entry.channel ?? 'sync',
    graphLevel: entry.graphLevel ?? false,
  };
}

const DEFINITIONS: ReadonlyMap<number, MetaErrorDefinition> = new Map(
  Object.entries(ENTRIES).map(([code, entry]) => [Number(code), complete(Number(code), entry)]),
);

/** Graph's permission errors form a whole range; Meta lists it as "200–299". */
function isPermissionRangeCode(code: number): boolean {
  return Number.isInteger(code) && code >= 200 && code <= 299;
}

/** Every code with an explicit entry (200 stands for the 200–299 range). */
export const KNOWN_ERROR_CODES: readonly number[] = [...DEFINITIONS.keys()].sort((a, b) => a - b);

/** True when the simulator can answer with this code (scenario rules are validated with it). */
export function isKnownErrorCode(code: number): boolean {
  return DEFINITIONS.has(code) || isPermissionRangeCode(code);
}

/**
 * Meta's answer for `code`, or undefined for a code the simulator does not know.
 *
 * @example metaErrorDefinition(130429)?.title // 'Rate limit hit'
 */
export function metaErrorDefinition(code: number): MetaErrorDefinition | undefined {
  const known = DEFINITIONS.get(code);
  if (known) return known;
  const permission = DEFINITIONS.get(200);
  if (permission && isPermissionRangeCode(code)) return { ...permission, code };
  return undefined;
}
