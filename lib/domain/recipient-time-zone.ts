import { getTimezonesForCountry } from 'countries-and-timezones';
import { isTimeZone } from './zoned-clock.ts';

/**
 * The time zones a recipient may be in, for the send window. A row's own zone (the audience's
 * time zone column) wins; otherwise every zone of the number's country, because a number says
 * where it was issued, not where its owner is, and the window must be open in all of them so that
 * nobody is messaged at night; otherwise the campaign's default zone.
 *
 * The country comes from libphonenumber-js (`normalisePhoneNumber`); its zones from
 * countries-and-timezones, a synchronous table of names. The zones' rules (offsets, daylight
 * saving) are the runtime's own, through `Intl`. See docs/design.md, "Quiet hours and time zones".
 */

export interface RecipientTimeZoneInput {
  /** ISO 3166 alpha-2 country of the number, as `normalisePhoneNumber` gives it; undefined for non-geographic numbers. */
  country: string | undefined;
  /** The row's time zone column, when the audience has one (blank means not given). */
  rowTimeZone?: string | undefined;
  /** The campaign's zone for a recipient nothing else places. */
  defaultTimeZone: string;
}

/** Where a recipient's zones came from: the row, the number's country, or the campaign's default. */
export type TimeZoneSource = 'row' | 'country' | 'default';

export type RecipientTimeZones = { ok: true; timeZones: readonly string[]; source: TimeZoneSource } | { ok: false; reason: string };

const countryZones = new Map<string, readonly string[]>();

/** Every current IANA zone of a country (none for an unknown code). */
export function timeZonesOfCountry(country: string): readonly string[] {
  const code = country.toUpperCase();
  let zones = countryZones.get(code);
  if (!zones) {
    zones = Object.freeze((getTimezonesForCountry(code) ?? []).map((zone) => zone.name));
    countryZones.set(code, zones);
  }
  return zones;
}

/**
 * The zones to check a recipient's send window in. A row zone that is not an IANA zone is refused
 * (the row goes to the rejection report) rather than silently replaced by a guess.
 *
 * @example recipientTimeZones({ country: 'DE', defaultTimeZone: 'UTC' }) // { ok: true, timeZones: ['Europe/Berlin', 'Europe/Zurich'], source: 'country' }
 */
export function recipientTimeZones({ country, rowTimeZone, defaultTimeZone }: RecipientTimeZoneInput): RecipientTimeZones {
  const rowZone = rowTimeZone?.trim();
  if (rowZone) {
    if (!isTimeZone(rowZone))
      return { ok: false, reason: `time zone ${JSON.stringify(rowZone)} is not an IANA time zone such as Europe/Berlin` };
    return { ok: true, timeZones: [rowZone], source: 'row' };
  }
  const fromCountry = country ? timeZonesOfCountry(country) : [];
  if (fromCountry.length > 0) return { ok: true, timeZones: fromCountry, source: 'country' };
  return { ok: true, timeZones: [defaultTimeZone], source: 'default' };
}
