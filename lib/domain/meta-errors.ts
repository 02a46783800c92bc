/**
 * What the sender does with each error code Meta documents for the MM API (docs/meta-api.md#errors; the table: docs/error-codes.md).
 * Branch on `code`, never on the HTTP status: Meta says the status is not reliable.
 */
export type ErrorClass =
  /** The message itself is wrong or undeliverable: fail the job, never retry. */
  | { kind: 'permanent'; meaning: string }
  /** A passing condition: send again after `waitSeconds`. */
  | { kind: 'retry'; meaning: string; waitSeconds: number; backoff?: 'exponential4' }
  /** 130429: the phone number's throughput is exceeded. Slow down and retry soon. */
  | { kind: 'throttled'; meaning: string; waitSeconds: number }
  /** 131049: the recipient hit the per-user marketing limit. Retry no sooner than 24 h. */
  | { kind: 'per_user_limit'; meaning: string }
  /** 131050: the recipient stopped marketing messages. Suppress, never retry. */
  | { kind: 'opt_out'; meaning: string }
  /** The account or number cannot send at all: stop the number, keep every job, alert. */
  | { kind: 'stop_phone_number'; meaning: string }
  /** The template cannot be used: pause the campaign, keep its jobs, alert. */
  | { kind: 'pause_campaign'; meaning: string };

export type ErrorKind = ErrorClass['kind'];

const permanent = (meaning: string): ErrorClass => ({ kind: 'permanent', meaning });
const retry = (meaning: string, waitSeconds: number): ErrorClass => ({ kind: 'retry', meaning, waitSeconds });
const stopNumber = (meaning: string): ErrorClass => ({ kind: 'stop_phone_number', meaning });
const pauseCampaign = (meaning: string): ErrorClass => ({ kind: 'pause_campaign', meaning });

const TABLE: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [0, stopNumber('access token could not be used (AuthException)')],
  [190, stopNumber('access token invalid or expired')],
  [3, stopNumber('app lacks the capability or permission')],
  [10, stopNumber('permission denied')],
  [368, stopNumber('account restricted for policy violations')],
  [130497, stopNumber('business account restricted from messaging users in this country')],
  [131031, stopNumber('business account locked')],
  [131042, stopNumber('payment or eligibility problem')],
  [133010, stopNumber('phone number not registered')],
  [134102, pauseCampaign('template unavailable for the MM API (eligibility)')],
  [132015, pauseCampaign('template paused for low quality')],
  [132016, pauseCampaign('template disabled for low quality')],
  [1, retry('unknown API error', 60)],
  // Meta: service updates can take the API down for up to 5 minutes.
  [2, retry('temporary service downtime', 300)],
  [131000, retry('something went wrong at Meta', 60)],
  [131016, retry('service temporarily unavailable', 60)],
  [133004, retry('server temporarily unavailable', 60)],
  [4, retry('application call-rate limit', 300)],
  [80007, retry('WhatsApp Business Account rate limit', 300)],
  [130429, { kind: 'throttled', meaning: 'phone number throughput reached', waitSeconds: 2 }],
  [131056, { kind: 'retry', meaning: 'pair rate limit: same recipient messaged too fast', waitSeconds: 4, backoff: 'exponential4' }],
  [131057, retry('account in maintenance', 60)],
  [134101, retry('template still syncing', 600)],
  [131009, permanent('parameter value invalid (MM API: ad sync may be incomplete)')],
  [100, permanent('invalid parameter')],
  [131008, permanent('required parameter missing')],
  [131051, permanent('unsupported message type')],
  [131055, permanent('method not allowed (not a marketing template)')],
  [134100, permanent('only marketing templates can be sent through the MM API')],
  [132000, permanent('template parameter count mismatch')],
  [132001, permanent('template does not exist in that language')],
  [132005, permanent('translated text too long')],
  [132007, permanent('template format character policy violated')],
  [132012, permanent('template parameter format mismatch')],
  [132018, permanent('template parameters invalid')],
  [131021, permanent('recipient is the sender')],
  [131026, permanent('message undeliverable')],
  [131049, { kind: 'per_user_limit', meaning: 'per-user marketing limit (healthy ecosystem engagement)' }],
  [131050, { kind: 'opt_out', meaning: 'user stopped marketing messages from this business' }],
  [130472, permanent('held back as part of a Meta experiment')],
  [131047, permanent('re-engagement window (not expected for templates)')],
]);

export interface ClassifyOptions {
  /** 131009 on the MM API can mean "ad sync not finished yet"; some accounts want a retry. */
  retryInvalidParameterAfterSeconds?: number;
}

/**
 * Classifies a Meta error code. Codes 200–299 are Graph API permission errors. Unknown codes
 * fail the job rather than loop: they are logged and counted as `unclassified` so the table
 * can be extended.
 *
 * @example classifyMetaError(131049).kind // 'per_user_limit'
 */
export function classifyMetaError(code: number, options: ClassifyOptions = {}): ErrorClass & { known: boolean } {
  if (code === 131009 && options.retryInvalidParameterAfterSeconds) {
    return {
      ...retry('parameter value invalid; retrying in case ad sync was incomplete', options.retryInvalidParameterAfterSeconds),
      known: true,
    };
  }
  const known = TABLE.get(code);
  if (known) return { ...known, known: true };
  if (code >= 200 && code <= 299) return { ...stopNumber('permission error'), known: true };
  return { ...permanent(`unclassified Meta error ${code}`), known: false };
}

/** Every code the table knows explicitly (for tests and docs). */
export const CLASSIFIED_CODES: readonly number[] = [...TABLE.keys()];
