import { isTimeZone, MINUTE_MS, modulo, offsetAt, offsetChangeBetween } from './zoned-clock.ts';

/**
 * A campaign's launch time, as the campaign contract states it: an instant with `Z` or an offset,
 * or a local date and time with an IANA time zone (`2026-12-11T10:00` in Europe/Berlin).
 *
 * - A local time that does not exist (the hour skipped when daylight saving time starts) is
 *   refused, naming the first valid time after the gap: a launch is a promise to marketers, and
 *   moving it silently would break it.
 * - A local time that happens twice (the hour repeated when daylight saving time ends) is its first
 *   occurrence, the earlier instant, as a person reading the clock would expect.
 */
export type LaunchTime = { at: string } | { localTime: string; timeZone: string };

/** Why a launch time cannot be used; `message` reads as a zod issue message would. */
export type LaunchTimeProblem = 'malformed' | 'unknown-time-zone' | 'nonexistent-local-time';

export type LaunchInstant = { ok: true; at: number } | { ok: false; problem: LaunchTimeProblem; message: string };

const HOUR_MS = 60 * MINUTE_MS;
// Offsets run from -12:00 to +14:00: every instant whose local time is a given wall time lies within this of it.
const WIDEST_OFFSET_MS = 15 * HOUR_MS;

const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?$/;

interface ParsedDateTime {
  /** The date and time read as if in UTC (epoch ms). */
  wall: number;
  /** `Z` or `±HH:MM`, when written. */
  offset: string | undefined;
}

/** Reads `YYYY-MM-DDTHH:MM[:SS[.sss]][Z|±HH:MM]`, refusing dates that do not exist (Feb 30) rather than rolling them over. */
function parseDateTime(text: string): ParsedDateTime | undefined {
  const match = dateTimePattern.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second = 0] = match.slice(1, 7).map((field) => Number(field ?? 0)) as number[];
  const millis = Number((match[7] ?? '').padEnd(3, '0'));
  const wall = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, millis);
  const back = new Date(wall);
  const exists =
    back.getUTCFullYear() === year && back.getUTCMonth() === month! - 1 && back.getUTCDate() === day && back.getUTCHours() === hour;
  return exists && minute! < 60 && second < 60 ? { wall, offset: match[8] } : undefined;
}

function offsetMs(offset: string): number | undefined {
  if (offset === 'Z') return 0;
  const [hours, minutes] = offset.slice(1).split(':').map(Number) as [number, number];
  if (hours > 14 || minutes > 59) return undefined;
  return (offset.startsWith('-') ? -1 : 1) * (hours * HOUR_MS + minutes * MINUTE_MS);
}

function malformed(message: string): LaunchInstant {
  return { ok: false, problem: 'malformed', message };
}

function instantLaunch(text: string): LaunchInstant {
  const parsed = parseDateTime(text);
  const offset = parsed?.offset === undefined ? undefined : offsetMs(parsed.offset);
  if (!parsed || offset === undefined) {
    return malformed(`launch.at ${JSON.stringify(text)} is not an instant such as 2026-12-11T09:00:00Z or 2026-12-11T10:00+01:00`);
  }
  return { ok: true, at: parsed.wall - offset };
}

/** Every instant whose local time in the zone is the wall time, earliest first: none in a gap, two in a repeated hour. */
function instantsAtWallTime(timeZone: string, wall: number): number[] {
  const offsets = new Set([-WIDEST_OFFSET_MS, 0, WIDEST_OFFSET_MS].map((shift) => offsetAt(timeZone, wall + shift)));
  const instants = [...offsets].map((offset) => wall - offset).filter((instant) => instant + offsetAt(timeZone, instant) === wall);
  return [...new Set(instants)].sort((a, b) => a - b);
}

/** The first local time after a gap, as `HH:MM`, for the refusal's message. */
function firstTimeAfterGap(timeZone: string, wall: number): string {
  const before = offsetAt(timeZone, wall - WIDEST_OFFSET_MS);
  const after = offsetAt(timeZone, wall + WIDEST_OFFSET_MS);
  const change = offsetChangeBetween(timeZone, wall - after - MINUTE_MS, wall - before);
  const localAfter = modulo(change + offsetAt(timeZone, change), 24 * HOUR_MS);
  return new Date(localAfter).toISOString().slice(11, 16);
}

function localLaunch(localTime: string, timeZone: string): LaunchInstant {
  const parsed = parseDateTime(localTime);
  if (!parsed || parsed.offset !== undefined) {
    return malformed(`launch.localTime ${JSON.stringify(localTime)} is not a local date and time such as 2026-12-11T10:00`);
  }
  if (!isTimeZone(timeZone)) {
    return {
      ok: false,
      problem: 'unknown-time-zone',
      message: `launch.timeZone ${JSON.stringify(timeZone)} is not an IANA time zone such as Europe/Berlin`,
    };
  }
  const [first] = instantsAtWallTime(timeZone, parsed.wall);
  if (first !== undefined) return { ok: true, at: first };
  const message = `launch.localTime ${localTime} does not exist in ${timeZone}: the clocks skip it that day; the first valid time after the gap is ${firstTimeAfterGap(timeZone, parsed.wall)}`;
  return { ok: false, problem: 'nonexistent-local-time', message };
}

/**
 * The launch instant (epoch ms), or why the launch time cannot be used. Pure: the zone rules are
 * the runtime's. Use it in a zod `superRefine` to turn a problem into an issue at `launch`.
 *
 * @example launchInstant({ localTime: '2026-12-11T10:00', timeZone: 'Europe/Berlin' }) // { ok: true, at: Date.parse('2026-12-11T09:00:00Z') }
 */
export function launchInstant(launch: LaunchTime): LaunchInstant {
  return 'at' in launch ? instantLaunch(launch.at) : localLaunch(launch.localTime, launch.timeZone);
}
