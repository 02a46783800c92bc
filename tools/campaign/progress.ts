import type { CampaignRecord } from '../../lib/ports/campaign-store.ts';

/** How far a campaign has come, in audience rows. */
export interface RowProgress {
  /** Rows whose recipient Meta accepted, or that reached another outcome (rejected, duplicate, failed, expired…). */
  done: number;
  /** Rows in the audience: exact once it has been read whole, estimated before; undefined before the first row. */
  total: number | undefined;
  estimated: boolean;
}

/**
 * A campaign's progress from its item, for `show` and `list`; undefined before it launched.
 *
 * The item's `waiting` counts jobs without an outcome, and that includes jobs Meta accepted but has
 * not reported delivered. So the rows done are the rows read minus the waiting ones, plus the
 * accepted ones still waiting for their delivery. A job Meta accepted and later failed counts twice
 * until then; the clamp keeps the figure within the rows read.
 */
export function rowProgress(record: CampaignRecord): RowProgress | undefined {
  const { progress, feed, launch } = record;
  if (!progress && !feed) return undefined;
  const rowsRead = progress?.rowsRead ?? feed?.checkpoint.row ?? 0;
  const acceptedAwaitingDelivery = Math.max(0, (progress?.accepted ?? 0) - (progress?.delivered ?? 0));
  const done = Math.min(rowsRead, Math.max(0, rowsRead - (progress?.waiting ?? rowsRead) + acceptedAwaitingDelivery));
  if (feed?.fedAt !== undefined) return { done, total: rowsRead, estimated: false };
  const offset = feed?.checkpoint.offset ?? 0;
  if (!launch || rowsRead === 0 || offset === 0) return { done, total: undefined, estimated: true };
  // Bytes per row so far, over the whole object: rows are alike enough for a progress bar.
  return { done, total: Math.max(rowsRead, Math.round((rowsRead * launch.audienceSize) / offset)), estimated: true };
}

/** Whole percent done, or undefined when the total is not known yet. */
export function percentDone(progress: RowProgress | undefined): number | undefined {
  if (!progress?.total) return progress?.total === 0 ? 100 : undefined;
  return Math.floor((progress.done / progress.total) * 100);
}

/** A bar of `width` characters: `[#######---------]`. */
export function textBar(fraction: number, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
