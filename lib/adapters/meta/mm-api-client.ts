import type { SendOutcome } from '../../domain/send-plan.ts';
import type { MmApiClient } from '../../ports/mm-api.ts';
import type { SecretSource } from '../../ports/secret-source.ts';

export interface MmApiClientOptions {
  /** `https://graph.facebook.com` in production; the simulator's URL locally. */
  baseUrl: string;
  /** Graph API version, e.g. `v26.0`. */
  apiVersion: string;
  /** Returns the current access token (cached by the caller). */
  accessToken: SecretSource;
  /** Gives up on a request after this long; the outcome is then `unknown`. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Graph's "access token invalid or expired". */
const TOKEN_REFUSED = 190;

/** Errors raised before any byte can have reached Meta: sending again is safe after these. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** The MM API adapter: one HTTPS call, its answer mapped to a `SendOutcome`. Never throws for HTTP or network faults. */
export function createMmApiClient(options: MmApiClientOptions): MmApiClient {
  const doFetch = options.fetch ?? fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  return {
    async warmUp() {
      await options.accessToken();
    },
    async sendMarketingMessage(phoneNumberId, body) {
      const url = `${base}/${options.apiVersion}/${encodeURIComponent(phoneNumberId)}/marketing_messages`;
      let token: string;
      try {
        token = await options.accessToken();
      } catch (error) {
        return { kind: 'not_sent', reason: `access token unavailable: ${(error as Error).name}` };
      }
      let response: Response;
      let text: string;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        text = await response.text();
      } catch (error) {
        return networkOutcome(error);
      }
      const outcome = parseResponse(response.status, text);
      // Meta refused the token: the next call reads it again, so a token an operator replaced is used at once.
      if (outcome.kind === 'meta_error' && outcome.code === TOKEN_REFUSED) options.accessToken.forget?.();
      return outcome;
    },
  };
}

function networkOutcome(error: unknown): SendOutcome {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') {
    return { kind: 'unknown', reason: 'request timed out; Meta may have accepted it' };
  }
  const code = err.cause?.code;
  if (code && NEVER_SENT_CODES.has(code)) return { kind: 'not_sent', reason: code };
  return { kind: 'unknown', reason: `connection failed after the request may have been sent (${code ?? err.message ?? 'unknown error'})` };
}

interface GraphErrorBody {
  error?: { message?: string; code?: number; error_subcode?: number; error_data?: { details?: string }; fbtrace_id?: string };
}

interface SendSuccessBody {
  contacts?: Array<{ wa_id?: unknown }>;
  messages?: Array<{ id?: string; message_status?: string }>;
}

/** Exported for tests: maps Meta's status and body to an outcome. */
export function parseResponse(status: number, text: string): SendOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const graphError = (json as GraphErrorBody | undefined)?.error;
  if (graphError && typeof graphError.code === 'number') {
    return {
      kind: 'meta_error',
      code: graphError.code,
      message: graphError.message ?? '',
      httpStatus: status,
      ...(graphError.error_data?.details ? { details: graphError.error_data.details } : {}),
      ...(graphError.fbtrace_id ? { fbtraceId: graphError.fbtrace_id } : {}),
    };
  }
  if (status >= 200 && status < 300) {
    const body = json as SendSuccessBody | undefined;
    const message = body?.messages?.[0];
    const waId = body?.contacts?.[0]?.wa_id;
    if (message?.id)
      return {
        kind: 'accepted',
        wamid: message.id,
        messageStatus: message.message_status ?? 'accepted',
        ...(typeof waId === 'string' ? { waId } : {}),
      };
    // A 2xx we cannot read may still mean Meta took the message: do not send it again.
    return { kind: 'unknown', reason: `HTTP ${status} without a message id` };
  }
  // 503 without a Graph body comes from a front end that refused the request before the API saw it.
  // 502 and 504 may come after the API took it, so they stay unknown.
  if (status === 503) return { kind: 'not_sent', reason: 'HTTP 503 without a Graph error body' };
  return { kind: 'unknown', reason: `HTTP ${status} with an unreadable body` };
}
