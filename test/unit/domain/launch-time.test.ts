import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { launchInstant } from '../../../lib/domain/launch-time.ts';

const at = (iso: string) => Date.parse(iso);

/** The zone's wall clock at an instant as `YYYY-MM-DDTHH:MM`, read straight from Intl. */
function localTimeOf(timeZone: string, instant: number): string {
  const parts = new Intl.DateTimeFormat('sv-SE', { timeZone, hourCycle: 'h23', dateStyle: 'short', timeStyle: 'short' }).format(instant);
  return parts.replace(' ', 'T');
}

describe('launchInstant', () => {
  it.each([
    ['2026-12-11T09:00:00Z', '2026-12-11T09:00:00.000Z'],
    ['2026-12-11T10:00+01:00', '2026-12-11T09:00:00.000Z'],
    ['2026-12-11T14:45:30.250+05:45', '2026-12-11T09:00:30.250Z'],
  ])('takes the instant %s as %s', (text, expected) => {
    expect(launchInstant({ at: text })).toEqual({ ok: true, at: at(expected) });
  });

  it.each([
    ['Europe/Berlin', '2026-12-11T10:00', '2026-12-11T09:00:00.000Z'],
    ['Europe/Berlin', '2026-07-01T10:00', '2026-07-01T08:00:00.000Z'],
    ['America/New_York', '2026-12-11T10:00', '2026-12-11T15:00:00.000Z'],
    ['Australia/Sydney', '2026-12-11T10:00', '2026-12-10T23:00:00.000Z'],
    ['Asia/Kolkata', '2026-12-11T10:00', '2026-12-11T04:30:00.000Z'],
    ['Asia/Kathmandu', '2026-12-11T10:00:00', '2026-12-11T04:15:00.000Z'],
  ])('in %s takes %s as %s', (timeZone, localTime, expected) => {
    expect(launchInstant({ localTime, timeZone })).toEqual({ ok: true, at: at(expected) });
  });

  it.each([
    ['Europe/Berlin', '2026-03-29T02:30', '03:00'],
    ['America/New_York', '2026-03-08T02:00', '03:00'],
  ])('refuses %s %s, skipped by the clocks, naming %s', (timeZone, localTime, next) => {
    const result = launchInstant({ localTime, timeZone });
    expect(result).toMatchObject({ ok: false, problem: 'nonexistent-local-time' });
    expect(!result.ok && result.message).toContain(`first valid time after the gap is ${next}`);
  });

  it.each([
    ['Europe/Berlin', '2026-10-25T02:30', '2026-10-25T00:30:00.000Z'],
    ['America/New_York', '2026-11-01T01:30', '2026-11-01T05:30:00.000Z'],
  ])('takes the first occurrence of a repeated time (%s %s)', (timeZone, localTime, expected) => {
    expect(launchInstant({ localTime, timeZone })).toEqual({ ok: true, at: at(expected) });
  });

  it.each([
    [{ at: '2026-12-11T09:00' }, 'malformed'],
    [{ at: '2026-02-30T09:00Z' }, 'malformed'],
    [{ at: '2026-12-11T24:00Z' }, 'malformed'],
    [{ at: '2026-12-11T09:00+15:00' }, 'malformed'],
    [{ at: 'next friday' }, 'malformed'],
    [{ localTime: '2026-12-11T10:00Z', timeZone: 'Europe/Berlin' }, 'malformed'],
    [{ localTime: '2026-13-01T10:00', timeZone: 'Europe/Berlin' }, 'malformed'],
    [{ localTime: '2026-12-11T10:00', timeZone: 'Europe/Atlantis' }, 'unknown-time-zone'],
    [{ localTime: '2026-12-11T10:00', timeZone: '+01:00' }, 'unknown-time-zone'],
  ])('refuses %j as %s, with a message', (launch, problem) => {
    const result = launchInstant(launch);
    expect(result).toMatchObject({ ok: false, problem, message: expect.stringMatching(/^launch\./) });
  });

  it('reads back the wall time of any instant, as its first occurrence', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'Australia/Sydney', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'America/Santiago'];
    // Half the minutes fall within a day of a daylight-saving change, where times are skipped or repeated.
    const changes = [
      '2026-03-08T07:00Z',
      '2026-03-29T01:00Z',
      '2026-04-04T15:00Z',
      '2026-04-05T14:00Z',
      '2026-09-06T04:00Z',
      '2026-10-03T16:00Z',
      '2026-10-25T01:00Z',
      '2026-11-01T06:00Z',
    ];
    const minute = fc.oneof(
      fc.integer({ min: Date.parse('2020-01-01T00:00:00Z') / 60_000, max: Date.parse('2035-12-31T00:00:00Z') / 60_000 }),
      fc
        .tuple(fc.constantFrom(...changes.map((change) => Date.parse(change) / 60_000)), fc.integer({ min: -1_440, max: 1_440 }))
        .map(([change, shift]) => change + shift),
    );
    fc.assert(
      fc.property(fc.constantFrom(...zones), minute, (timeZone, minuteIndex) => {
        const instant = minuteIndex * 60_000;
        const localTime = localTimeOf(timeZone, instant);
        const result = launchInstant({ localTime, timeZone });
        if (!result.ok) throw new Error(result.message);
        expect(localTimeOf(timeZone, result.at)).toBe(localTime);
        expect(result.at).toBeLessThanOrEqual(instant);
        expect(instant - result.at).toBeLessThanOrEqual(3_600_000);
      }),
      { numRuns: 300 },
    );
  });
});
