import { launchInstant } from '../../lib/domain/launch-time.ts';
import type { CampaignRecord } from '../../lib/ports/campaign-store.ts';
import type { CampaignCliContext } from './context.ts';
import { statusText, utc } from './format.ts';
import { percentDone, rowProgress } from './progress.ts';

export interface ListInput extends CampaignCliContext {
  /** At most this many campaigns, newest first. */
  limit: number;
}

/** One campaign's columns: id, status, launch time (UTC), phone number, progress. */
function columnsOf(record: CampaignRecord): string[] {
  const launch = record.definition && launchInstant(record.definition.launch);
  const percent = percentDone(rowProgress(record));
  return [
    record.campaignId,
    statusText(record) + (record.refusal ? ' REFUSED EDIT' : ''),
    launch?.ok ? utc(launch.at) : 'invalid definition',
    record.definition?.phoneNumberId ?? '-',
    percent === undefined ? '-' : `${percent}%`,
  ];
}

/** `list [--limit N]`: one line per campaign, newest first, in aligned columns. */
export async function listCampaigns(input: ListInput): Promise<CampaignRecord[]> {
  const records = await input.campaigns.list(input.limit);
  if (records.length === 0) {
    input.out('no campaigns');
    return records;
  }
  const rows = [['CAMPAIGN', 'STATUS', 'LAUNCH (UTC)', 'PHONE NUMBER', 'PROGRESS'], ...records.map(columnsOf)];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows)
    input.out(
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
  return records;
}
