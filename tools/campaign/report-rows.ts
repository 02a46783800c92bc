import { jobFromRow, type RowContext } from '../../lib/domain/audience-row.ts';
import type { AudienceRecord } from '../../lib/ports/audience-source.ts';

/** What one audience row is, before its job is looked up. */
export type PlannedRow =
  /** The first row with this recipient: its job item tells the outcome. */
  | { row: number; kind: 'job'; recipient: string }
  | { row: number; kind: 'duplicate'; recipient: string; firstRow: number }
  /** The row could not become a job; `recipient` is the column as written (empty when the row could not be read). */
  | { row: number; kind: 'rejected'; recipient: string; reason: string; detail: string };

export interface RowPlanner {
  context: RowContext;
  /**
   * Each recipient's first row. The one thing the report keeps in memory: one entry per distinct
   * recipient (tens of bytes each), while the rows themselves stream through.
   */
  firstRowOf: Map<string, number>;
}

/** The recipient column as written, for a rejected row. */
function writtenRecipient(record: AudienceRecord, column: string): string {
  const value = record.values?.[column];
  return typeof value === 'string' || typeof value === 'number' ? String(value).trim() : '';
}

/** Turns a row into its recipient exactly as the feeder does (`jobFromRow`), and finds the rows whose recipient came before. */
export function planRow(record: AudienceRecord, planner: RowPlanner): PlannedRow {
  const { row } = record;
  const recipientColumn = planner.context.campaign.audience.recipientColumn;
  if (record.problem !== undefined) return { row, kind: 'rejected', recipient: '', reason: 'unreadable_row', detail: record.problem };
  const outcome = jobFromRow(record.values, row, planner.context);
  if (!outcome.ok) {
    const { reason, detail } = outcome.rejection;
    return { row, kind: 'rejected', recipient: writtenRecipient(record, recipientColumn), reason, detail };
  }
  const recipient = outcome.job.recipient;
  const firstRow = planner.firstRowOf.get(recipient);
  if (firstRow !== undefined) return { row, kind: 'duplicate', recipient, firstRow };
  planner.firstRowOf.set(recipient, row);
  return { row, kind: 'job', recipient };
}
