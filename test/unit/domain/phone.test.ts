import { describe, expect, it } from 'vitest';
import { maskPhoneNumber, normalisePhoneNumber, recipientRestriction, SANCTIONED_COUNTRIES } from '../../../lib/domain/phone.ts';

describe('normalisePhoneNumber', () => {
  it.each([
    ['+4915112345678', '+4915112345678', 'DE'],
    ['+49 151 1234-5678', '+4915112345678', 'DE'],
    ['4915112345678', '+4915112345678', 'DE'],
    ['+1 (202) 555-0123', '+12025550123', 'US'],
  ])('normalises %s to %s', (input, e164, country) => {
    expect(normalisePhoneNumber(input)).toEqual({ ok: true, e164, country });
  });

  it.each(['', 'hello', '+49', '+15551234567', '+000000000', '0151 12345678', '+49151123456789012345'])('rejects %j', (input) => {
    const result = normalisePhoneNumber(input);
    expect(result.ok).toBe(false);
  });
});

describe('recipientRestriction', () => {
  const policy = { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: ['+7978'] };

  it.each(['+5351234567', '+989121234567', '+963944567890'])('blocks sanctioned %s', (number) => {
    const phone = normalisePhoneNumber(number);
    if (!phone.ok) throw new Error(phone.reason);
    expect(recipientRestriction(phone.e164, phone.country, policy)).toMatch(/restricted/);
  });

  it('blocks a configured prefix and allows others', () => {
    const crimea = normalisePhoneNumber('+79781234567');
    const berlin = normalisePhoneNumber('+4915112345678');
    if (!crimea.ok || !berlin.ok) throw new Error('fixture');
    expect(recipientRestriction(crimea.e164, crimea.country, policy)).toMatch(/\+7978/);
    expect(recipientRestriction(berlin.e164, berlin.country, policy)).toBeUndefined();
  });
});

describe('maskPhoneNumber', () => {
  it('keeps the country code and last two digits only', () => {
    expect(maskPhoneNumber('+4915112345678')).toBe('+49*********78');
    expect(maskPhoneNumber('+4915112345678')).not.toContain('1234');
  });
});
