import type { MetaErrorBody, MetaSuccessBody } from '../../src/responses.ts';
import type { Simulator } from '../../src/server.ts';

/** Helpers shared by the simulator tests: a tiny client and a steppable clock. */

export const PHONE_ID = '100000000000001';
export const TOKEN = 'local-dev-token';

export interface SendOptions {
  token?: string | null;
  endpoint?: 'marketing_messages' | 'messages';
  version?: string;
  phoneNumberId?: string;
  signal?: AbortSignal;
  rawBody?: string;
}

export interface SendResult {
  status: number;
  /** Either shape, loosely typed so that tests can probe both. */
  json: Partial<MetaSuccessBody> & Partial<MetaErrorBody>;
}

/** A valid MM API body for `autumn_sale` (1 body parameter) to `to`, with optional top-level changes. */
export function marketingBody(to: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'template',
    template: {
      name: 'autumn_sale',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Jasper' }] }],
    },
    ...changes,
  };
}

/** A template object with a given name, language and number of body parameters. */
export function template(name: string, language = 'en_US', bodyParams = 1): Record<string, unknown> {
  return {
    name,
    language: { code: language },
    components: [{ type: 'body', parameters: Array.from({ length: bodyParams }, (_, i) => ({ type: 'text', text: `p${i}` })) }],
  };
}

/** POSTs a send through real HTTP and returns the status and parsed JSON. */
export async function send(simulator: Simulator, body: unknown, options: SendOptions = {}): Promise<SendResult> {
  const { token = TOKEN, endpoint = 'marketing_messages', version = 'v24.0', phoneNumberId = PHONE_ID } = options;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${simulator.url}/${version}/${phoneNumberId}/${endpoint}`, {
    method: 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(body),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return { status: response.status, json: (await response.json()) as SendResult['json'] };
}

/** The error code of a result, or 'accepted' for a 200. */
export function outcomeOf(result: SendResult): number | 'accepted' {
  if (result.status === 200) return 'accepted';
  if (!result.json.error) throw new Error(`HTTP ${result.status} without an error body`);
  return result.json.error.code;
}

/** A clock the test steps by hand, for exact rate-limit boundaries. */
export function steppedClock(start = 1_800_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}
