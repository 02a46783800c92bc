import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'valid' | 'missing' | 'invalid';

/**
 * Checks Meta's `X-Hub-Signature-256: sha256=<hex>` over the raw body bytes, keyed with the
 * app secret, in constant time. Never verify a re-serialised JSON: key order and escapes differ.
 */
export function checkSignature(rawBody: Buffer, header: string | undefined, appSecret: string): SignatureCheck {
  if (!header) return 'missing';
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return 'invalid';
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  const given = Buffer.from(match[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'invalid';
}

/** The header value Meta would send for `rawBody` (for tests and the simulator). */
export function signatureFor(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
