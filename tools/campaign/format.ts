import type { Campaign } from '../../lib/domain/campaign-contract.ts';
import { launchInstant } from '../../lib/domain/launch-time.ts';

/** An instant as UTC without milliseconds: `2026-12-11T09:00:00Z`. */
export function utc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** An instant as the clock on the wall in a zone shows it: `2026-12-11 10:00 Europe/Berlin (GMT+01:00)`. */
export function inZone(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'longOffset',
  }).formatToParts(ms);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')} ${timeZone} (${part('timeZoneName')})`;
}

/** When the campaign launches, in UTC and in the launch's own terms; undefined when its launch time cannot be read. */
export function launchDescription(campaign: Campaign): string | undefined {
  const launch = launchInstant(campaign.launch);
  if (!launch.ok) return undefined;
  if ('timeZone' in campaign.launch) return `${utc(launch.at)} UTC, ${inZone(launch.at, campaign.launch.timeZone)}`;
  // An instant with an offset: show it as written too, since that is the zone the marketer thought in.
  return campaign.launch.at.endsWith('Z') ? `${utc(launch.at)} UTC` : `${utc(launch.at)} UTC, as written ${campaign.launch.at}`;
}

/** A campaign's asked and applied status in one word, or both when they differ. */
export function statusText(record: { status: unknown; appliedStatus?: string | undefined }): string {
  const applied = record.appliedStatus ?? 'SCHEDULED';
  const asked = typeof record.status === 'string' ? record.status : JSON.stringify(record.status);
  return asked === applied ? applied : `${applied} (asked: ${asked})`;
}
