import type { SecretSource } from '../../ports/secret-source.ts';
import type { GraphFailure, PhoneNumberInfo, WhatsAppAccount } from '../../ports/whatsapp-account.ts';
import { templateInfoFrom } from './template-components.ts';

export interface GraphApiClientOptions {
  /** `https://graph.facebook.com` in production; the simulator's URL locally. */
  baseUrl: string;
  /** Graph API version, e.g. `v26.0`. */
  apiVersion: string;
  /** Returns the current access token (cached by the caller). */
  accessToken: SecretSource;
  /** Gives up on a request after this long. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/**
 * The Graph API could not answer the question: the network failed, the request timed out, or Meta
 * refused it with an error other than "no such object" (an expired token, a missing permission, a
 * service error). The launch's preflight then neither passes nor fails: the campaign stays in
 * LAUNCHING and the next tick tries again.
 */
export class GraphApiUnavailable extends Error {
  override name = 'GraphApiUnavailable';
  /** Meta's error code, when Meta answered with one. */
  readonly code: number | undefined;
  readonly httpStatus: number | undefined;

  constructor(message: string, details: { code?: number | undefined; httpStatus?: number | undefined; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.httpStatus = details.httpStatus;
  }
}

const TEMPLATE_FIELDS = 'id,name,language,status,category,quality_score,components,parameter_format,message_send_ttl_seconds';
const PHONE_FIELDS = 'id,status,quality_rating,throughput';
/** A page of the template list; Graph answers 25 by default. */
const PAGE_SIZE = 100;
/** Pages of one name's list followed at most: a name has one translation per language, so this is never reached honestly. */
const MAX_PAGES = 20;

interface GraphError {
  message?: string;
  code?: number;
  error_subcode?: number;
  error_data?: { details?: string };
}

type GraphAnswer = { ok: true; body: Record<string, unknown> } | { ok: false; status: number; error: GraphError | undefined };

/**
 * The `WhatsAppAccount` port over the Graph API: reads a template by name and language from the
 * WABA's list, reads a phone number, sets a template's TTL.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-account/template-api
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/phone-number-api
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live
 */
export function createGraphApiClient(options: GraphApiClientOptions): WhatsAppAccount {
  const base = options.baseUrl.replace(/\/+$/, '');
  const call = (url: string, init: { method: 'GET' | 'POST'; body?: unknown } = { method: 'GET' }) => graphCall(options, url, init);
  const path = (...parts: string[]) => `${base}/${options.apiVersion}/${parts.map(encodeURIComponent).join('/')}`;
  return {
    async findTemplate(businessAccountId, name, language) {
      const query = new URLSearchParams({ name, language, fields: TEMPLATE_FIELDS, limit: String(PAGE_SIZE) });
      let url: string | undefined = `${path(businessAccountId, 'message_templates')}?${query}`;
      for (let page = 0; url !== undefined && page < MAX_PAGES; page += 1) {
        const answer = await call(url);
        if (!answer.ok) return unlessMissing(answer, `template list of WABA ${businessAccountId}`);
        const data = Array.isArray(answer.body.data) ? (answer.body.data as Record<string, unknown>[]) : [];
        // Graph's `name` filter also matches names that contain it: only the exact name and language count.
        const found = data.find((template) => template.name === name && template.language === language);
        if (found) return templateInfoFrom(found);
        url = nextPage(answer.body, base);
      }
      return undefined;
    },
    async phoneNumber(phoneNumberId) {
      const answer = await call(`${path(phoneNumberId)}?fields=${PHONE_FIELDS}`);
      if (!answer.ok) return unlessMissing(answer, `phone number ${phoneNumberId}`);
      return phoneInfoFrom(answer.body, phoneNumberId);
    },
    async setTemplateTtl(templateId, ttlSeconds) {
      const answer = await call(path(templateId), { method: 'POST', body: { message_send_ttl_seconds: ttlSeconds } });
      if (answer.ok) return { ok: true };
      if (answer.error === undefined) throw unavailable(answer, `editing template ${templateId}`);
      return { ok: false, failure: failureOf(answer.error) };
    },
  };
}

async function graphCall(
  options: GraphApiClientOptions,
  url: string,
  init: { method: 'GET' | 'POST'; body?: unknown },
): Promise<GraphAnswer> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  let text: string;
  try {
    const token = await options.accessToken();
    response = await doFetch(url, {
      method: init.method,
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    const reason = (error as Error).name === 'TimeoutError' ? `timed out after ${options.timeoutMs} ms` : (error as Error).message;
    throw new GraphApiUnavailable(`Graph API request ${init.method} ${withoutQuery(url)} failed: ${reason}`, { cause: error });
  }
  const body = parseJson(text);
  if (response.ok && body !== undefined && !('error' in body)) return { ok: true, body };
  const error = body?.error;
  return { ok: false, status: response.status, error: typeof error === 'object' && error !== null ? (error as GraphError) : undefined };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Undefined for an object that does not exist: Graph answers code 100 with subcode 33 for an id
 * it does not know or the token cannot see (a plain 404 from a front end counts too); anything
 * else is a failure the preflight cannot decide on.
 */
function unlessMissing(answer: Extract<GraphAnswer, { ok: false }>, what: string): undefined {
  if (answer.status === 404 || (answer.error?.code === 100 && answer.error.error_subcode === 33)) return undefined;
  throw unavailable(answer, `reading ${what}`);
}

function unavailable(answer: Extract<GraphAnswer, { ok: false }>, doing: string): GraphApiUnavailable {
  const said = answer.error ? failureOf(answer.error).message : 'no Graph error in the answer';
  return new GraphApiUnavailable(`Graph API refused ${doing} (HTTP ${answer.status}): ${said}`, {
    code: answer.error?.code,
    httpStatus: answer.status,
  });
}

function failureOf(error: GraphError): GraphFailure {
  const message = [error.message, error.error_data?.details].filter((part) => part !== undefined && part !== '').join(': ');
  return { ...(typeof error.code === 'number' ? { code: error.code } : {}), message: message || 'Graph API error without a message' };
}

/** The next page's URL, only on the Graph host we were given: the token is never sent anywhere else. */
function nextPage(body: Record<string, unknown>, base: string): string | undefined {
  const next = (body.paging as { next?: unknown } | undefined)?.next;
  if (typeof next !== 'string') return undefined;
  return new URL(next).origin === new URL(base).origin ? next : undefined;
}

function withoutQuery(url: string): string {
  return url.split('?')[0]!;
}

function phoneInfoFrom(body: Record<string, unknown>, phoneNumberId: string): PhoneNumberInfo {
  const level = (body.throughput as { level?: unknown } | undefined)?.level;
  return {
    id: typeof body.id === 'string' ? body.id : phoneNumberId,
    status: typeof body.status === 'string' ? body.status : 'UNKNOWN',
    ...(typeof body.quality_rating === 'string' ? { qualityRating: body.quality_rating } : {}),
    ...(typeof level === 'string' ? { throughputLevel: level } : {}),
  };
}
