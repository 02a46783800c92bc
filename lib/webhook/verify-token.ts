import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A key of this process only: the digests compared below mean nothing outside it. */
const comparisonKey = randomBytes(32);

const digestOf = (value: string) => createHmac('sha256', comparisonKey).update(value, 'utf8').digest();

/**
 * Whether the verify token given in a GET equals the configured one. Both are reduced to
 * fixed-length digests first, so the comparison takes the same time whatever the given token's
 * length or characters (a multi-byte token of the right length included) and tells nothing
 * about the configured token, its length either.
 */
export function verifyTokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digestOf(given), digestOf(expected));
}
