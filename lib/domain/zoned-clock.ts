/**
 * Wall clocks of IANA time zones, read from the runtime's own time zone database through
 * `Intl.DateTimeFormat` (Node's ICU carries it and Lambda's runtime updates it): the offset of a
 * zone at an instant, and a zone's local time as minutes of the day. Shared by the send window and
 * the launch time.
 */

/** One minute in milliseconds. */
export const MINUTE_MS = 60_000;
/** One day of wall-clock minutes. */
export const MINUTES_PER_DAY = 1_440;
const DAY_MS = MINUTES_PER_DAY * MINUTE_MS;

// Building a DateTimeFormat costs far more than using one; a feeder asks the same few zones millions of times.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** `a mod b`, never negative (instants before 1970 are negative). */
export function modulo(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/**
 * The zone's offset from UTC at an instant, in milliseconds (east of Greenwich is positive).
 * Throws a RangeError for a zone the runtime does not know.
 */
export function offsetAt(timeZone: string, instant: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wallAsUtc = Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!);
  return wallAsUtc - (instant - modulo(instant, 1_000));
}

/** The zone's local time at an instant, as minutes since local midnight (0 to 1439). */
export function localMinuteOfDay(timeZone: string, instant: number): number {
  return Math.floor(modulo(instant + offsetAt(timeZone, instant), DAY_MS) / MINUTE_MS);
}

/** The start of the UTC minute that holds the instant. */
export function floorToMinute(instant: number): number {
  return instant - modulo(instant, MINUTE_MS);
}

/**
 * The first whole minute in `(after, notAfter]` at which the zone's offset is no longer the one it
 * had at `after`: the instant of a daylight-saving change (or any other change of the zone's rules).
 * The caller knows the offset differs at `notAfter`; one change in between is assumed, as real zones
 * never change twice within a day.
 */
export function offsetChangeBetween(timeZone: string, after: number, notAfter: number): number {
  const before = offsetAt(timeZone, after);
  let lowMinute = Math.floor(after / MINUTE_MS);
  let highMinute = Math.ceil(notAfter / MINUTE_MS);
  while (highMinute - lowMinute > 1) {
    const middleMinute = Math.floor((lowMinute + highMinute) / 2);
    if (offsetAt(timeZone, middleMinute * MINUTE_MS) === before) lowMinute = middleMinute;
    else highMinute = middleMinute;
  }
  return highMinute * MINUTE_MS;
}

/** Whether a name is an IANA time zone this runtime knows (aliases such as `Europe/Kiev` included). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return name.includes('/') || name === 'UTC';
  } catch {
    return false;
  }
}
