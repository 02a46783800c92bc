import { getAllCountries } from 'countries-and-timezones';
import { describe, expect, it } from 'vitest';
import { normalisePhoneNumber } from '../../../lib/domain/phone.ts';
import { recipientTimeZones, timeZonesOfCountry } from '../../../lib/domain/recipient-time-zone.ts';

function zonesOfNumber(number: string, rowTimeZone?: string) {
  const phone = normalisePhoneNumber(number);
  if (!phone.ok) throw new Error(phone.reason);
  return recipientTimeZones({ country: phone.country, rowTimeZone, defaultTimeZone: 'Europe/Berlin' });
}

describe('recipientTimeZones', () => {
  it.each([
    ['+4915112345678', ['Europe/Berlin', 'Europe/Zurich']],
    ['+919876543210', ['Asia/Kolkata']],
    ['+9779812345678', ['Asia/Kathmandu']],
  ])('takes the zones of the country of %s', (number, zones) => {
    expect(zonesOfNumber(number)).toEqual({ ok: true, timeZones: zones, source: 'country' });
  });

  it.each([
    [
      '+12125550123',
      'US',
      ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu'],
    ],
    ['+61412345678', 'AU', ['Australia/Sydney', 'Australia/Perth', 'Australia/Lord_Howe']],
    ['+79161234567', 'RU', ['Europe/Kaliningrad', 'Europe/Moscow', 'Asia/Vladivostok', 'Asia/Kamchatka']],
    ['+5511987654321', 'BR', ['America/Sao_Paulo', 'America/Manaus', 'America/Noronha', 'America/Rio_Branco']],
  ])('takes every zone of a country with several (%s, %s)', (number, _country, some) => {
    const result = zonesOfNumber(number);
    expect(result).toMatchObject({ ok: true, source: 'country' });
    expect(result.ok && result.timeZones).toEqual(expect.arrayContaining(some));
  });

  it("lets the row's zone override the number's, and refuses one that is not an IANA zone", () => {
    expect(zonesOfNumber('+12125550123', ' America/Chicago ')).toEqual({ ok: true, timeZones: ['America/Chicago'], source: 'row' });
    expect(zonesOfNumber('+12125550123', 'Asia/Calcutta')).toEqual({ ok: true, timeZones: ['Asia/Calcutta'], source: 'row' });
    expect(zonesOfNumber('+12125550123', '')).toMatchObject({ source: 'country' });
    expect(zonesOfNumber('+12125550123', 'Central Time')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not an IANA time zone/),
    });
  });

  it("uses the campaign's default for a number without a country, or a country without zones", () => {
    expect(recipientTimeZones({ country: undefined, defaultTimeZone: 'Europe/Berlin' })).toEqual({
      ok: true,
      timeZones: ['Europe/Berlin'],
      source: 'default',
    });
    expect(recipientTimeZones({ country: 'XX', defaultTimeZone: 'UTC' })).toEqual({ ok: true, timeZones: ['UTC'], source: 'default' });
  });

  it("knows every zone of every country in this runtime's time zone data", () => {
    const unknown = Object.keys(getAllCountries())
      .flatMap((country) => timeZonesOfCountry(country))
      .filter((zone) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: zone });
          return false;
        } catch {
          return true;
        }
      });
    expect(unknown).toEqual([]);
  });
});
