import { type AudienceRow, jobFromRow } from '../domain/audience-row.ts';
import type { Campaign } from '../domain/campaign-contract.ts';
import { feedDispatchId } from '../domain/feed-dispatch-id.ts';
import { notBeforeFor, type SendTiming } from '../domain/feed-plan.ts';
import type { RecipientPolicy } from '../domain/phone.ts';
import { recipientTimeZones } from '../domain/recipient-time-zone.ts';
import { rejectionReportLine } from '../domain/rejection-report.ts';
import { contractOf, type ValidJob } from '../domain/validate-job.ts';
import type { AudienceRecord } from '../ports/audience-source.ts';
import type { LaunchFacts } from '../ports/campaign-store.ts';

/**
 * Recipients remembered per invocation to drop a repeated one before it reaches the queue. Past
 * this many, later rows are not checked here (memory stays bounded); the send path's claim still
 * finds the repeat and counts it.
 */
export const MAX_REMEMBERED_RECIPIENTS = 200_000;

/** What one audience row becomes: a job for the queue, a line of the rejection report, or a repeated recipient's line. */
export type PlannedRow =
  | { kind: 'job'; row: number; body: string; notBefore?: number }
  | { kind: 'rejected'; row: number; line: string }
  | { kind: 'duplicate'; row: number; line: string };

export interface RowPlanContext {
  campaign: Campaign;
  launch: Pick<LaunchFacts, 'launchedAt' | 'validitySeconds'>;
  policy: RecipientPolicy;
  now: number;
  /** Recipients seen in this invocation, with the row that had them first. */
  seen: Map<string, number>;
}

/** Turns one audience record into what the feeder does with it (remembers the recipient of a job in `seen`). */
export function planRow(record: AudienceRecord, context: RowPlanContext): PlannedRow {
  const { row } = record;
  if (record.problem !== undefined) return rejected(row, undefined, 'unreadable_row', record.problem);
  const { campaign, launch, policy } = context;
  const outcome = jobFromRow(record.values, row, { campaign, ...launch, policy });
  const written = record.values[campaign.audience.recipientColumn];
  if (!outcome.ok) return rejected(row, written, outcome.rejection.reason, outcome.rejection.detail);
  const { job } = outcome;
  const first = context.seen.get(job.recipient);
  if (first !== undefined) return { kind: 'duplicate', row, line: line(row, job.recipient, 'duplicate', `same recipient as row ${first}`) };
  const timing = timingOf(job, record.values, context);
  if (timing.send === 'never') return rejected(row, written, timing.why, timing.reason);
  if (context.seen.size < MAX_REMEMBERED_RECIPIENTS) context.seen.set(job.recipient, row);
  const notBefore = timing.send === 'at' ? timing.notBefore : undefined;
  const body = JSON.stringify({
    ...contractOf(job),
    // Deterministic per row: a row enqueued again after a crash meets its own claim (see feed-dispatch-id.ts).
    dispatchId: feedDispatchId(row),
    ...(notBefore === undefined ? {} : { notBefore: new Date(notBefore).toISOString() }),
  });
  return notBefore === undefined ? { kind: 'job', row, body } : { kind: 'job', row, body, notBefore };
}

/** The job's timing; when never, `why` is the report's reason (`expired`, `invalid_time_zone`). */
type RowTiming = Exclude<SendTiming, { send: 'never' }> | { send: 'never'; reason: string; why: string };

/** When the job may be sent under the campaign's quiet hours; a row naming an unknown zone is refused. */
function timingOf(job: ValidJob, values: AudienceRow, { campaign, launch, now }: RowPlanContext): RowTiming {
  const validUntil = launch.launchedAt + launch.validitySeconds * 1000;
  const { sendWindow } = campaign;
  if (!sendWindow) {
    const timing = notBeforeFor({ timeZones: [], now, validUntil });
    return timing.send === 'never' ? { ...timing, why: 'expired' } : timing;
  }
  const column = campaign.audience.timeZoneColumn;
  const rowTimeZone = column !== undefined && typeof values[column] === 'string' ? values[column] : undefined;
  const zones = recipientTimeZones({ country: job.recipientCountry, rowTimeZone, defaultTimeZone: sendWindow.defaultTimeZone });
  if (!zones.ok) return { send: 'never', reason: zones.reason, why: 'invalid_time_zone' };
  const timing = notBeforeFor({ sendWindow, timeZones: zones.timeZones, now, validUntil });
  return timing.send === 'never' ? { ...timing, why: 'expired' } : timing;
}

function rejected(row: number, recipient: unknown, reason: string, detail: string): PlannedRow {
  return { kind: 'rejected', row, line: line(row, recipient, reason, detail) };
}

/** One report line; line breaks in the detail become spaces, so each line of a part is one row. */
function line(row: number, recipient: unknown, reason: string, detail: string): string {
  return rejectionReportLine({ row, recipient, reason, detail: detail.replace(/\s*[\r\n]+\s*/g, ' ') });
}
