import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta signs webhooks with. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';

/**
 * Serialises a payload the way Meta does before signing it: compact JSON with every non-ASCII
 * character escaped as `\uXXXX` (lowercase hex) and `/` as `\/`. A receiver that re-serialises
 * the parsed JSON therefore gets other bytes and a wrong signature, exactly as with Meta: it
 * must verify the raw body.
 */
export function serializeWebhookBody(payload: unknown): string {
  return JSON.stringify(payload).replace(/[\u0080-\uffff/]/g, (char) =>
    char === '/' ? '\\/' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The `X-Hub-Signature-256` value for a body: `sha256=` and the hex HMAC-SHA256 of its bytes
 * (a string is taken as UTF-8), keyed with the app secret.
 */
export function signWebhookBody(body: string | Uint8Array, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/** Checks a signature header against the raw body in constant time, as a receiver must. */
export function verifyWebhookSignature(body: string | Uint8Array, header: string | undefined, appSecret: string): boolean {
  if (header === undefined || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(signWebhookBody(body, appSecret).slice('sha256='.length), 'hex');
  const received = Buffer.from(header.slice('sha256='.length), 'hex');
  return timingSafeEqual(expected, received);
}
