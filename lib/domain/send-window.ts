import { floorToMinute, localMinuteOfDay, MINUTE_MS, MINUTES_PER_DAY, offsetAt, offsetChangeBetween } from './zoned-clock.ts';

/**
 * Quiet hours: a campaign sends only while the recipient's local clock is inside its send window.
 * The window is read on the wall clock at each instant, so daylight-saving changes need no special
 * case: on a spring-forward day a window starting at 02:30 (a time that does not exist) opens when
 * the clocks jump to 03:00; on a fall-back day an hour inside the window is open both times it
 * happens. A number may have several zones; a job may be sent only while the window is open in
 * every one of them, so that nobody is messaged at night.
 */

/** Local times `HH:MM`, as in the campaign contract; `until` before `from` spans midnight (22:00–06:00). */
export interface SendWindow {
  /** The first local minute inside the window. */
  from: string;
  /** The first local minute outside it again. */
  until: string;
}

/**
 * Whether the window is open now in every zone. When closed, `opensAt` is the earliest instant at or
 * after now (epoch ms) when it is open in all of them; `neverOpens` says the zones' windows do not
 * overlap within {@link SEARCH_HORIZON_DAYS} days, which a campaign must refuse rather than wait on.
 */
export type SendWindowState = { open: true } | { open: false; opensAt: number } | { open: false; neverOpens: true };

/** How far ahead a common opening is looked for: a year, so that overlaps that only exist between two zones' daylight-saving dates are found. */
export const SEARCH_HORIZON_DAYS = 370;

interface WindowMinutes {
  from: number;
  until: number;
}

function minutesOf(clock: string, field: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(clock);
  if (!match) throw new RangeError(`send window ${field} ${JSON.stringify(clock)} is not a time of day as HH:MM`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function windowMinutes(window: SendWindow): WindowMinutes {
  const minutes = { from: minutesOf(window.from, 'from'), until: minutesOf(window.until, 'until') };
  if (minutes.from === minutes.until) throw new RangeError('send window from and until must differ');
  return minutes;
}

function contains(window: WindowMinutes, minuteOfDay: number): boolean {
  return window.from < window.until
    ? minuteOfDay >= window.from && minuteOfDay < window.until
    : minuteOfDay >= window.from || minuteOfDay < window.until;
}

/** Whether the window is open at an instant in one zone. Throws a RangeError for a malformed window or an unknown zone. */
export function isWindowOpenIn(window: SendWindow, timeZone: string, instant: number): boolean {
  return contains(windowMinutes(window), localMinuteOfDay(timeZone, instant));
}

/**
 * The earliest instant at or after `instant` when the window is open in one zone. The local clock
 * runs evenly between offset changes, so the opening is `from` on the current offset, unless the
 * offset changes first: then the change itself may open the window (a jump into it), or the search
 * goes on from there on the new offset.
 */
function nextOpeningIn(window: WindowMinutes, timeZone: string, instant: number): number {
  if (contains(window, localMinuteOfDay(timeZone, instant))) return instant;
  let cursor = floorToMinute(instant);
  for (;;) {
    const offset = offsetAt(timeZone, cursor);
    const minutesToFrom = (window.from - localMinuteOfDay(timeZone, cursor) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    const onThisOffset = cursor + minutesToFrom * MINUTE_MS;
    if (offsetAt(timeZone, onThisOffset) === offset) return onThisOffset;
    const change = offsetChangeBetween(timeZone, cursor, onThisOffset);
    if (contains(window, localMinuteOfDay(timeZone, change))) return change;
    cursor = change;
  }
}

interface WindowQuery {
  window: SendWindow;
  /** Every zone the recipient may be in (at least one). */
  timeZones: readonly string[];
  /** Epoch ms. */
  now: number;
}

/**
 * Whether a job may be sent now under its send window, and if not, when it may. Each round moves
 * the candidate to the latest next opening among the zones; nothing before it can be open in all
 * of them, so the first candidate open everywhere is the earliest.
 *
 * @example sendWindowState({ window: { from: '09:00', until: '21:00' }, timeZones: ['Europe/Berlin'], now: Date.parse('2026-12-11T22:00:00Z') })
 * // { open: false, opensAt: Date.parse('2026-12-12T08:00:00Z') }
 */
export function sendWindowState({ window, timeZones, now }: WindowQuery): SendWindowState {
  if (timeZones.length === 0) throw new RangeError('a send window needs at least one time zone');
  const minutes = windowMinutes(window);
  const horizon = now + SEARCH_HORIZON_DAYS * MINUTES_PER_DAY * MINUTE_MS;
  let candidate = now;
  while (candidate <= horizon) {
    const latest = Math.max(...timeZones.map((zone) => nextOpeningIn(minutes, zone, candidate)));
    if (latest === candidate) return candidate === now ? { open: true } : { open: false, opensAt: candidate };
    candidate = latest;
  }
  return { open: false, neverOpens: true };
}

/** What to do with a job under its send window, given when its validity ends. */
export type SendWindowPlan =
  | { action: 'send' }
  | { action: 'wait'; until: number }
  | { action: 'give-up'; reason: 'window-opens-after-validity' | 'window-never-opens' };

/**
 * Sends now, waits until the window opens, or gives up: a job whose window opens only when its
 * validity has ended (or never opens in all its zones) is not worth waiting for. The caller decides
 * what giving up means (a final state with the reason, a line in the rejection report).
 */
export function planForSendWindow(query: WindowQuery & { validUntil: number }): SendWindowPlan {
  const state = sendWindowState(query);
  if (state.open) return { action: 'send' };
  if ('neverOpens' in state) return { action: 'give-up', reason: 'window-never-opens' };
  if (state.opensAt >= query.validUntil) return { action: 'give-up', reason: 'window-opens-after-validity' };
  return { action: 'wait', until: state.opensAt };
}
