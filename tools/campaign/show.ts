import type { CampaignRecord } from '../../lib/ports/campaign-store.ts';
import type { CampaignCliContext } from './context.ts';
import { refused } from './failure.ts';
import { launchDescription, statusText, utc } from './format.ts';
import { percentDone, rowProgress, textBar } from './progress.ts';

export interface ShowInput extends CampaignCliContext {
  campaignId: string;
  /** The record as JSON instead of lines for people. */
  json?: boolean | undefined;
}

/** The campaign's record, or exit 1 naming the id. */
export async function readRecord(input: CampaignCliContext & { campaignId: string }): Promise<CampaignRecord> {
  const record = await input.campaigns.get(input.campaignId);
  if (!record) throw refused(`no campaign ${input.campaignId}`);
  return record;
}

/** `show <id> [--json]`: the campaign's status, launch and progress as the item holds them. */
export async function showCampaign(input: ShowInput): Promise<CampaignRecord> {
  const record = await readRecord(input);
  if (input.json) input.out(JSON.stringify(record, null, 2));
  else for (const line of describeCampaign(record)) input.out(line);
  return record;
}

/** The lines `show` prints. A refused edit comes first after the status, loudly: the campaign is not doing what was asked. */
export function describeCampaign(record: CampaignRecord): string[] {
  const lines = [`campaign ${record.campaignId}: ${statusText(record)}`];
  if (record.refusal) {
    lines.push(`!!! REFUSED: ${record.refusal.reason}`, `!!! (asked ${JSON.stringify(record.refusal.asked)} at ${record.refusal.at})`);
  }
  if (record.definitionProblem) lines.push(`!!! the item does not match the campaign contract: ${record.definitionProblem}`);
  if (record.statusReason) lines.push(`reason:       ${record.statusReason}`);
  const definition = record.definition;
  if (definition) {
    lines.push(
      `phone number: ${definition.phoneNumberId}`,
      `template:     ${definition.template.name} (${definition.template.language})`,
      `audience:     s3://${definition.audience.bucket}/${definition.audience.key} (${definition.audience.format})`,
      `launch:       ${launchDescription(definition) ?? 'cannot be read'}`,
    );
  }
  lines.push(...launchLines(record), ...progressLines(record));
  if (record.completedAt) lines.push(`completed:    ${record.completedAt}`);
  return lines;
}

function launchLines({ launch }: CampaignRecord): string[] {
  if (!launch) return ['launched:     not yet'];
  const validUntil = launch.launchedAt + launch.validitySeconds * 1000;
  return [
    `launched:     ${utc(launch.launchedAt)} UTC; ${launch.ratePerSecond} sends/s; messages valid until ${utc(validUntil)} UTC`,
    `launched on:  the audience's version of ${launch.audienceSize} bytes, ETag ${launch.audienceEtag}`,
  ];
}

function progressLines(record: CampaignRecord): string[] {
  const { progress } = record;
  const rows = rowProgress(record);
  const lines: string[] = [];
  if (progress) {
    lines.push(
      `rows:         ${progress.rowsRead} read, ${progress.enqueued} enqueued, ${progress.rejected} rejected, ${progress.duplicates} duplicates`,
      `messages:     ${progress.accepted} accepted, ${progress.delivered} delivered, ${progress.read} read, ${progress.failed} failed, ${progress.waiting} waiting`,
    );
    if (progress.eta) lines.push(`eta:          ${progress.eta}`);
  }
  const percent = percentDone(rows);
  if (rows && percent !== undefined) {
    lines.push(`progress:     ${textBar(percent / 100)} ${percent}% (${rows.done} of ${rows.estimated ? '~' : ''}${rows.total} rows)`);
  } else if (rows) {
    lines.push(`progress:     ${rows.done} rows done; the audience's size is not known yet`);
  }
  return lines;
}
