import { MOBILE_RANGES } from './demo-campaign.ts';

/** The zone of most of the demo's audience (UTC+2, no daylight saving): inside the send window. */
export const OPEN_ZONE = 'Africa/Johannesburg';
/** The zone of the audience in quiet hours (UTC+0, no daylight saving): its window opens within two minutes. */
export const QUIET_ZONE = 'Atlantic/Reykjavik';

export interface DemoAudience {
  csv: string;
  rows: number;
  /** What the rows hold, by kind, for the demo to check its figures against. */
  planted: { invalid: number; duplicates: number; quietHours: number };
}

/**
 * A generated audience CSV (phone, first_name, tz) of `rows` rows: about 1 % invalid (a number
 * that is no phone number, an empty name, a country WhatsApp may not message), 2 % a recipient an
 * earlier row already has, and 10 % in a time zone where the campaign's send window is still closed.
 */
export function demoAudience(rows: number): DemoAudience {
  const lines = ['phone,first_name,tz'];
  const planted = { invalid: 0, duplicates: 0, quietHours: 0 };
  const phones: string[] = [];
  for (let i = 0; i < rows; i++) {
    const [prefix, digits] = MOBILE_RANGES[i % MOBILE_RANGES.length]!;
    const kind = rowKind(i);
    const fresh = `${prefix}${String(Math.floor(i / MOBILE_RANGES.length)).padStart(digits, '0')}`;
    const phone =
      kind === 'not-a-number' ? 'call me maybe' : kind === 'restricted' ? '+5351234567' : kind === 'duplicate' ? phones[i - 10]! : fresh;
    if (kind === 'not-a-number' || kind === 'restricted' || kind === 'no-name') planted.invalid++;
    if (kind === 'duplicate') planted.duplicates++;
    if (kind === 'quiet') planted.quietHours++;
    phones.push(phone);
    lines.push(`${phone},${kind === 'no-name' ? '' : `Customer ${i + 1}`},${kind === 'quiet' ? QUIET_ZONE : OPEN_ZONE}`);
  }
  return { csv: `${lines.join('\n')}\n`, rows, planted };
}

type RowKind = 'plain' | 'not-a-number' | 'restricted' | 'no-name' | 'duplicate' | 'quiet';

function rowKind(i: number): RowKind {
  if (i % 100 === 7) return 'not-a-number';
  if (i % 100 === 41) return 'restricted';
  if (i % 100 === 13) return 'no-name';
  if (i % 50 === 21 && i >= 21) return 'duplicate';
  if (i % 10 === 3) return 'quiet';
  return 'plain';
}

/**
 * A send window that is open now in OPEN_ZONE and opens within two minutes in QUIET_ZONE: it
 * starts at the next whole minute in UTC (QUIET_ZONE's time) at least 60 s away, and closes 30
 * minutes before that, so only that half hour is quiet; OPEN_ZONE, two hours ahead, is outside it.
 */
export function demoSendWindow(now: number): { from: string; until: string; defaultTimeZone: string } {
  const opensAt = Math.ceil((now + 60_000) / 60_000) * 60_000;
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  return { from: hhmm(opensAt), until: hhmm(opensAt - 30 * 60_000), defaultTimeZone: OPEN_ZONE };
}
