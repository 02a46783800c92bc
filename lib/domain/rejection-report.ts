import { maskPhoneNumber } from './phone.ts';

/** The header of a campaign's rejection report, a CSV object written beside the audience file. */
export const REJECTION_REPORT_HEADER = 'row,recipient,reason,detail';

/** One rejected row: its number in the file (from 1, the header not counted), the recipient as written, and why. */
export interface RejectedRow {
  row: number;
  /** The recipient column's raw value; the report holds it masked. */
  recipient: unknown;
  reason: string;
  detail: string;
}

/** One line of the rejection report (RFC 4180 quoting), with the recipient masked: the report is shared more widely than the audience. */
export function rejectionReportLine({ row, recipient, reason, detail }: RejectedRow): string {
  const written = typeof recipient === 'string' || typeof recipient === 'number' ? String(recipient) : '';
  return [String(row), written === '' ? '' : maskPhoneNumber(written), reason, detail].map(csvField).join(',');
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
