import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureCheck = 'valid' | 'missing' | 'invalid';

/** The digest a well-formed `X-Hub-Signature-256: sha256=<hex>` header carries, or why there is none. */
export type SignatureHeader = { digest: Buffer } | { problem: 'missing' | 'invalid' };

/**
 * Reads Meta's signature header without any secret, so that a request with no or a malformed
 * header is refused before the app secret is fetched. Any case of hex is read; several values
 * (a repeated header arrives joined by commas) or anything else is malformed.
 */
export function readSignatureHeader(header: string | undefined): SignatureHeader {
  if (header === undefined || header.trim() === '') return { problem: 'missing' };
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  return match ? { digest: Buffer.from(match[1]!, 'hex') } : { problem: 'invalid' };
}

/**
 * Whether the digest is the HMAC-SHA256 of the raw body bytes keyed with the app secret,
 * compared in constant time. Never verify a re-serialised JSON: key order and escapes differ.
 */
export function signatureMatches(rawBody: Buffer, digest: Buffer, appSecret: string): boolean {
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return digest.length === expected.length && timingSafeEqual(digest, expected);
}

/** Checks Meta's `X-Hub-Signature-256` header over the raw body bytes (both steps above). */
export function checkSignature(rawBody: Buffer, header: string | undefined, appSecret: string): SignatureCheck {
  const read = readSignatureHeader(header);
  if ('problem' in read) return read.problem;
  return signatureMatches(rawBody, read.digest, appSecret) ? 'valid' : 'invalid';
}

/** The header value Meta would send for `rawBody` (for tests and the simulator). */
export function signatureFor(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
