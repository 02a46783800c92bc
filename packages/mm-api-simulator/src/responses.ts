import { randomBytes } from 'node:crypto';
import { metaErrorDefinition } from './meta-errors.ts';

/**
 * `messages[0].message_status` of a successful send.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages
 */
export type MessageStatus = 'accepted' | 'held_for_quality_assessment' | 'paused';

/** Graph's error envelope as Meta sends it. */
export interface MetaErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

/** Meta's 200 answer to a send. */
export interface MetaSuccessBody {
  messaging_product: 'whatsapp';
  contacts: [{ input: string; wa_id: string }];
  messages: [{ id: string; message_status: MessageStatus }];
}

/** Everything needed to answer with an error: the HTTP status and the body. */
export interface ErrorAnswer {
  status: number;
  body: MetaErrorBody;
}

/** Per-request variations of an error's standard text. */
export interface ErrorOverrides {
  /** Replaces the table's title in `message` (still prefixed with `(#code)`). */
  title?: string;
  details?: string;
  subcode?: number;
  /** Graph answers some routing errors with another type (e.g. `GraphMethodException`). */
  type?: string;
  httpStatus?: number;
  /** Answer as Graph's own layer does: bare message, no `error_data` (e.g. an unknown object id). */
  graphLevel?: boolean;
}

/** Random trace id shaped like Meta's (23 base64url characters). */
export function newFbtraceId(): string {
  return randomBytes(18).toString('base64url').slice(0, 23);
}

// A per-process random prefix plus a counter: unique for the process lifetime without a set of
// issued ids, and unlikely to repeat across restarts.
const WAMID_PROCESS_NONCE = randomBytes(6).toString('hex');
let wamidCounter = 0;

/**
 * A message id unique within this process, shaped like Meta's (`wamid.` + base64). Meta's
 * ids are an opaque base64 blob; clients must not parse them, so neither the layout nor the
 * embedded recipient is meaningful.
 */
export function newWamid(waId: string): string {
  wamidCounter += 1;
  const payload = `${waId}:${WAMID_PROCESS_NONCE}${wamidCounter.toString(16).padStart(8, '0')}`;
  return `wamid.${Buffer.from(payload).toString('base64')}`;
}

/**
 * Meta's error answer for `code`, filled from the table in meta-errors.ts.
 *
 * @throws Error when the code is not in the table (scenario validation rules that out).
 */
export function errorAnswer(code: number, overrides: ErrorOverrides = {}): ErrorAnswer {
  const definition = metaErrorDefinition(code);
  if (!definition) throw new Error(`No Meta error definition for code ${code}`);
  const title = overrides.title ?? definition.title;
  const graphLevel = overrides.graphLevel ?? definition.graphLevel;
  // Built in Meta's key order, which some snapshot-style client tests compare.
  const error: MetaErrorBody['error'] = {
    message: graphLevel ? title : `(#${code}) ${title}`,
    type: overrides.type ?? definition.type,
    code,
    ...(overrides.subcode !== undefined ? { error_subcode: overrides.subcode } : {}),
    ...(graphLevel ? {} : { error_data: { messaging_product: 'whatsapp' as const, details: overrides.details ?? definition.details } }),
    fbtrace_id: newFbtraceId(),
  };
  return { status: overrides.httpStatus ?? definition.httpStatus, body: { error } };
}

/** Graph's answer for a path it does not route (the status is 404 as the brief asks; Graph itself uses 400). */
export function unknownPathAnswer(path: string): ErrorAnswer {
  return {
    status: 404,
    body: {
      error: {
        message: `Unknown path components: ${path}`,
        type: 'OAuthException',
        code: 2500,
        fbtrace_id: newFbtraceId(),
      },
    },
  };
}

/** Meta's 200 body for an accepted send. */
export function successBody(input: string, waId: string, wamid: string, status: MessageStatus): MetaSuccessBody {
  return {
    messaging_product: 'whatsapp',
    contacts: [{ input, wa_id: waId }],
    messages: [{ id: wamid, message_status: status }],
  };
}
