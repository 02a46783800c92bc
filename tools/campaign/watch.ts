import { setTimeout as sleep } from 'node:timers/promises';
import { Presets, SingleBar } from 'cli-progress';
import { CAMPAIGN_STATUSES as S } from '../../lib/domain/campaign-lifecycle.ts';
import type { CampaignRecord } from '../../lib/ports/campaign-store.ts';
import type { CampaignCliContext } from './context.ts';
import { statusText } from './format.ts';
import { rowProgress } from './progress.ts';
import { describeCampaign, readRecord } from './show.ts';

export interface WatchInput extends CampaignCliContext {
  campaignId: string;
  /** Stops watching (Ctrl-C). */
  signal?: AbortSignal | undefined;
  /** Where the bar is drawn (default: stdout). */
  stream?: NodeJS.WritableStream | undefined;
  intervalMs?: number | undefined;
}

/** Statuses after which nothing moves without an operator: watching ends there. */
const STOPPED: readonly unknown[] = [S.completed, S.cancelled, S.failed];

const FORMAT =
  '{bar} {percentage}% | {value}/{total} rows | {status} | {accepted} accepted, {delivered} delivered, {failed} failed, {waiting} waiting';

/** What the bar shows for a record; the total is at least 1 so the bar can be drawn before the size is known. */
function barState(record: CampaignRecord) {
  const rows = rowProgress(record);
  const progress = record.progress;
  return {
    total: Math.max(1, rows?.total ?? 0, rows?.done ?? 0),
    value: rows?.done ?? 0,
    payload: {
      status: statusText(record),
      accepted: progress?.accepted ?? 0,
      delivered: progress?.delivered ?? 0,
      failed: progress?.failed ?? 0,
      waiting: progress?.waiting ?? 0,
    },
  };
}

/** Waits one interval; false when the watch was stopped meanwhile. */
async function waitOrStop(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, signal ? { signal } : {});
    return true;
  } catch {
    return false;
  }
}

/** `show <id> --watch`: the campaign, then its progress redrawn every 2 s until it stops (completed, cancelled, failed) or Ctrl-C. */
export async function watchCampaign(input: WatchInput): Promise<CampaignRecord> {
  const intervalMs = input.intervalMs ?? 2_000;
  let record = await readRecord(input);
  for (const line of describeCampaign(record)) input.out(line);
  const bar = new SingleBar(
    { format: FORMAT, hideCursor: true, noTTYOutput: true, notTTYSchedule: intervalMs, stream: input.stream ?? process.stdout },
    Presets.shades_classic,
  );
  const first = barState(record);
  bar.start(first.total, first.value, first.payload);
  try {
    while (!STOPPED.includes(record.appliedStatus) && (await waitOrStop(intervalMs, input.signal))) {
      record = await readRecord(input);
      const next = barState(record);
      bar.setTotal(next.total);
      bar.update(next.value, next.payload);
    }
  } finally {
    bar.stop();
  }
  input.out(`campaign ${record.campaignId}: ${statusText(record)}`);
  return record;
}
