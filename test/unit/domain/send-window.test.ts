import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recipientTimeZones } from '../../../lib/domain/recipient-time-zone.ts';
import { isWindowOpenIn, planForSendWindow, type SendWindow, sendWindowState } from '../../../lib/domain/send-window.ts';

const at = (iso: string) => Date.parse(iso);
const daytime: SendWindow = { from: '09:00', until: '21:00' };
const overnight: SendWindow = { from: '22:00', until: '06:00' };

function opensAt(window: SendWindow, timeZones: string[], now: string): string | undefined {
  const state = sendWindowState({ window, timeZones, now: at(now) });
  return !state.open && 'opensAt' in state ? new Date(state.opensAt).toISOString() : undefined;
}

describe('sendWindowState, one zone', () => {
  it.each([
    ['Europe/Berlin', '2026-12-11T22:00:00.000Z', '2026-12-12T08:00:00.000Z'],
    ['America/New_York', '2026-12-11T12:00:00.000Z', '2026-12-11T14:00:00.000Z'],
    ['Australia/Sydney', '2026-12-11T12:00:00.000Z', '2026-12-11T22:00:00.000Z'],
    ['Asia/Kolkata', '2026-12-11T00:00:00.000Z', '2026-12-11T03:30:00.000Z'],
    ['Asia/Kathmandu', '2026-12-11T00:00:00.000Z', '2026-12-11T03:15:00.000Z'],
  ])('in %s at %s, 09:00–21:00 opens at %s', (zone, now, opening) => {
    expect(opensAt(daytime, [zone], now)).toBe(opening);
    expect(sendWindowState({ window: daytime, timeZones: [zone], now: at(opening) })).toEqual({ open: true });
    expect(isWindowOpenIn(daytime, zone, at(opening) - 1)).toBe(false);
  });

  it('ends the window at until, exclusive', () => {
    expect(isWindowOpenIn(daytime, 'Europe/Berlin', at('2026-12-11T19:59:59.999Z'))).toBe(true);
    expect(opensAt(daytime, ['Europe/Berlin'], '2026-12-11T20:00:00.000Z')).toBe('2026-12-12T08:00:00.000Z');
  });

  it('handles a window across midnight (22:00–06:00)', () => {
    expect(opensAt(overnight, ['Europe/Berlin'], '2026-12-11T12:00:00.000Z')).toBe('2026-12-11T21:00:00.000Z');
    expect(sendWindowState({ window: overnight, timeZones: ['Europe/Berlin'], now: at('2026-12-11T23:30:00Z') })).toEqual({ open: true });
    expect(opensAt(overnight, ['Europe/Berlin'], '2026-12-12T05:00:00.000Z')).toBe('2026-12-12T21:00:00.000Z');
  });

  it('refuses a malformed or empty window and an empty zone list', () => {
    const now = at('2026-12-11T12:00:00Z');
    expect(() => sendWindowState({ window: { from: '9:00', until: '21:00' }, timeZones: ['UTC'], now })).toThrow(/HH:MM/);
    expect(() => sendWindowState({ window: { from: '09:00', until: '09:00' }, timeZones: ['UTC'], now })).toThrow(/differ/);
    expect(() => sendWindowState({ window: daytime, timeZones: [], now })).toThrow(/at least one/);
  });
});

describe('sendWindowState across daylight-saving changes', () => {
  it('opens a window whose start is skipped (Berlin, 02:30 on 29 March 2026) when the clocks jump to 03:00', () => {
    expect(opensAt({ from: '02:30', until: '05:00' }, ['Europe/Berlin'], '2026-03-28T23:00:00.000Z')).toBe('2026-03-29T01:00:00.000Z');
    expect(opensAt(daytime, ['Europe/Berlin'], '2026-03-29T00:00:00.000Z')).toBe('2026-03-29T07:00:00.000Z');
  });

  it('opens a window inside the repeated hour both times (Berlin, 25 October 2026)', () => {
    const repeated = { from: '02:00', until: '02:30' };
    expect(sendWindowState({ window: repeated, timeZones: ['Europe/Berlin'], now: at('2026-10-25T00:10:00Z') })).toEqual({ open: true });
    expect(opensAt(repeated, ['Europe/Berlin'], '2026-10-25T00:45:00.000Z')).toBe('2026-10-25T01:00:00.000Z');
  });

  it('does the same in New York (8 March and 1 November 2026)', () => {
    expect(opensAt({ from: '02:30', until: '04:00' }, ['America/New_York'], '2026-03-08T05:00:00.000Z')).toBe('2026-03-08T07:00:00.000Z');
    expect(opensAt({ from: '01:00', until: '01:30' }, ['America/New_York'], '2026-11-01T05:40:00.000Z')).toBe('2026-11-01T06:00:00.000Z');
    expect(opensAt(daytime, ['America/New_York'], '2026-11-01T05:00:00.000Z')).toBe('2026-11-01T14:00:00.000Z');
  });
});

describe('sendWindowState, several zones', () => {
  it('waits for the last zone of a US number (Hawaii and the Aleutians) to reach 09:00', () => {
    const zones = recipientTimeZones({ country: 'US', defaultTimeZone: 'UTC' });
    if (!zones.ok) throw new Error(zones.reason);
    expect(zones.timeZones).toEqual(
      expect.arrayContaining(['America/New_York', 'America/Los_Angeles', 'Pacific/Honolulu', 'America/Adak']),
    );
    expect(opensAt(daytime, [...zones.timeZones], '2026-12-11T12:00:00.000Z')).toBe('2026-12-11T19:00:00.000Z');
  });

  it('says so when the zones never share an open minute', () => {
    const state = sendWindowState({
      window: { from: '09:00', until: '15:00' },
      timeZones: ['Europe/Berlin', 'Asia/Tokyo'],
      now: at('2026-12-11T12:00:00Z'),
    });
    expect(state).toEqual({ open: false, neverOpens: true });
  });
});

describe('planForSendWindow', () => {
  const query = { window: daytime, timeZones: ['Europe/Berlin'], now: at('2026-12-11T22:00:00Z') };

  it('waits when the window opens before the validity ends, and gives up when it does not', () => {
    expect(planForSendWindow({ ...query, validUntil: at('2026-12-12T12:00:00Z') })).toEqual({
      action: 'wait',
      until: at('2026-12-12T08:00:00Z'),
    });
    expect(planForSendWindow({ ...query, validUntil: at('2026-12-12T08:00:00Z') })).toEqual({
      action: 'give-up',
      reason: 'window-opens-after-validity',
    });
    expect(planForSendWindow({ ...query, now: at('2026-12-12T09:00:00Z'), validUntil: at('2026-12-12T10:00:00Z') })).toEqual({
      action: 'send',
    });
    expect(
      planForSendWindow({
        ...query,
        window: { from: '09:00', until: '15:00' },
        timeZones: ['Europe/Berlin', 'Asia/Tokyo'],
        validUntil: Infinity,
      }),
    ).toEqual({
      action: 'give-up',
      reason: 'window-never-opens',
    });
  });
});

describe('sendWindowState, properties', () => {
  const MINUTE = 60_000;
  // Zones with the awkward cases: half- and quarter-hour offsets, a 30-minute DST shift (Lord Howe), southern DST, none at all.
  const zones = [
    'Europe/Berlin',
    'America/New_York',
    'Australia/Sydney',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'America/Santiago',
    'Pacific/Honolulu',
    'Europe/London',
  ];
  const clockOf = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
  const anyWindow = fc.tuple(fc.integer({ min: 0, max: 1_439 }), fc.integer({ min: 1, max: 1_439 }));
  // Short windows starting in the small hours, where daylight-saving changes happen.
  const smallHoursWindow = fc.tuple(fc.integer({ min: 0, max: 240 }), fc.integer({ min: 1, max: 120 }));
  const window = fc
    .oneof(anyWindow, smallHoursWindow)
    .map(([from, length]) => ({ from: clockOf(from), until: clockOf((from + length) % 1_440) }));
  // Half the instants fall within two days of a daylight-saving change of one of the zones above.
  const changes = [
    '2026-03-08T07:00Z',
    '2026-03-29T01:00Z',
    '2026-04-04T15:00Z',
    '2026-04-05T14:00Z',
    '2026-09-06T04:00Z',
    '2026-09-26T14:00Z',
    '2026-10-03T16:00Z',
    '2026-10-25T01:00Z',
    '2026-11-01T06:00Z',
  ];
  const now = fc.oneof(
    fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2035-12-31T00:00:00Z') }),
    fc
      .tuple(fc.constantFrom(...changes.map(Date.parse)), fc.integer({ min: -2 * 86_400_000, max: 86_400_000 }))
      .map(([change, shift]) => change + shift),
  );
  const timeZones = fc.uniqueArray(fc.constantFrom(...zones), { minLength: 1, maxLength: 3 });
  const openEverywhere = (w: SendWindow, tz: string[], instant: number) => tz.every((zone) => isWindowOpenIn(w, zone, instant));

  it('is open exactly when the window is open in every zone at now', () => {
    fc.assert(
      fc.property(window, timeZones, now, (w, tz, instant) => {
        expect(sendWindowState({ window: w, timeZones: tz, now: instant }).open).toBe(openEverywhere(w, tz, instant));
      }),
    );
  });

  it('opens at the earliest instant after now that is open in every zone', () => {
    fc.assert(
      fc.property(window, timeZones, now, (w, tz, instant) => {
        const state = sendWindowState({ window: w, timeZones: tz, now: instant });
        if (state.open || !('opensAt' in state)) return;
        expect(state.opensAt).toBeGreaterThan(instant);
        expect(openEverywhere(w, tz, state.opensAt)).toBe(true);
        for (let minute = Math.floor(instant / MINUTE) * MINUTE; minute < state.opensAt; minute += MINUTE) {
          expect(openEverywhere(w, tz, Math.max(minute, instant))).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never opens only when no minute of the next two days is open in every zone', () => {
    fc.assert(
      fc.property(window, timeZones, now, (w, tz, instant) => {
        const state = sendWindowState({ window: w, timeZones: tz, now: instant });
        if (state.open || !('neverOpens' in state)) return;
        for (let minute = instant; minute < instant + 2 * 1_440 * MINUTE; minute += MINUTE) {
          expect(openEverywhere(w, tz, minute)).toBe(false);
        }
      }),
      { numRuns: 40 },
    );
  });
});
