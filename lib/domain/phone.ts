import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** A recipient number that passed validation, in E.164 form (`+4915112345678`). */
export type E164 = string & { readonly __brand: 'E164' };

export type PhoneCheck = { ok: true; e164: E164; country: string | undefined } | { ok: false; reason: string };

/**
 * Normalises a recipient to E.164. Accepts `+<digits>` and WhatsApp's `wa_id` form (country
 * code and number, digits only). Separators (spaces, dashes, dots, brackets) are ignored.
 * Uses libphonenumber's full metadata, so a number with a possible length but an impossible
 * range (e.g. `+1 555 123 4567`) is rejected.
 *
 * @example normalisePhoneNumber('+49 151 1234 5678') // { ok: true, e164: '+4915112345678', country: 'DE' }
 */
export function normalisePhoneNumber(input: string): PhoneCheck {
  const compact = input.replace(/[\s().-]/g, '');
  if (!/^\+?\d{6,17}$/.test(compact)) {
    return { ok: false, reason: 'not an international phone number (expected +<country code><number>)' };
  }
  const parsed = parsePhoneNumberFromString(compact.startsWith('+') ? compact : `+${compact}`);
  if (!parsed?.isValid()) {
    return { ok: false, reason: 'not a valid phone number for any country' };
  }
  return { ok: true, e164: parsed.number as E164, country: parsed.country };
}

/** Countries WhatsApp may not message at all (docs/meta-api.md#country-restrictions). Crimea, Donetsk and Luhansk
 * cannot be told apart by prefix, so they belong in the configurable prefix deny-list. */
export const SANCTIONED_COUNTRIES = ['CU', 'IR', 'KP', 'SY'] as const;

export interface RecipientPolicy {
  /** ISO 3166 alpha-2 codes nobody may message. */
  blockedCountries: readonly string[];
  /** E.164 prefixes (e.g. `+7978`) an operator blocks on top of the country list. */
  blockedPrefixes: readonly string[];
}

/** Returns why a normalised recipient may not be messaged, or undefined when it may. */
export function recipientRestriction(e164: E164, country: string | undefined, policy: RecipientPolicy): string | undefined {
  if (country && policy.blockedCountries.includes(country)) return `recipient country ${country} is restricted`;
  const prefix = policy.blockedPrefixes.find((p) => e164.startsWith(p));
  return prefix ? `recipient prefix ${prefix} is blocked by configuration` : undefined;
}

/** Keeps the country code and the last two digits: enough to correlate, not enough to identify. */
export function maskPhoneNumber(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 6) return '***';
  return `+${digits.slice(0, 2)}${'*'.repeat(digits.length - 4)}${digits.slice(-2)}`;
}
