import { describe, expect, it } from 'vitest';
import { isTimeZone, localMinuteOfDay, offsetAt, offsetChangeBetween } from '../../../lib/domain/zoned-clock.ts';

const at = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

describe('zoned clock', () => {
  it.each([
    ['UTC', 0],
    ['Europe/Berlin', HOUR],
    ['America/New_York', -5 * HOUR],
    ['Australia/Sydney', 11 * HOUR],
    ['Asia/Kolkata', 5.5 * HOUR],
    ['Asia/Kathmandu', 5.75 * HOUR],
  ])('reads the offset of %s in December', (zone, offset) => {
    expect(offsetAt(zone, at('2026-12-11T12:34:56.789Z'))).toBe(offset);
  });

  it('reads local minutes of the day, before 1970 too', () => {
    expect(localMinuteOfDay('Asia/Kathmandu', at('2026-12-11T00:00:00Z'))).toBe(5 * 60 + 45);
    expect(localMinuteOfDay('UTC', at('1960-06-01T23:59:59Z'))).toBe(1_439);
  });

  it('finds the minute a daylight-saving change happens', () => {
    expect(offsetChangeBetween('Europe/Berlin', at('2026-03-28T12:00:00Z'), at('2026-03-29T12:00:00Z'))).toBe(at('2026-03-29T01:00:00Z'));
    expect(offsetChangeBetween('America/New_York', at('2026-11-01T00:00:30Z'), at('2026-11-01T12:00:00Z'))).toBe(
      at('2026-11-01T06:00:00Z'),
    );
  });

  it('refuses a zone the runtime does not know', () => {
    expect(() => offsetAt('Europe/Atlantis', 0)).toThrow(RangeError);
  });
});

describe('isTimeZone', () => {
  it('knows IANA zones, aliases included, and nothing else', () => {
    expect(['Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Europe/Kiev', 'UTC'].every(isTimeZone)).toBe(true);
    expect(['Mars/Olympus', 'CET+1', 'Berlin', '', '+01:00'].some(isTimeZone)).toBe(false);
  });
});
