import { describe, expect, it } from 'vitest';
import { REJECTION_REPORT_HEADER, rejectionReportLine } from '../../../lib/domain/rejection-report.ts';

describe('rejectionReportLine', () => {
  it('writes the row, the masked recipient, the reason and the detail', () => {
    expect(REJECTION_REPORT_HEADER).toBe('row,recipient,reason,detail');
    expect(
      rejectionReportLine({
        row: 12,
        recipient: '+49 151 1234 5678',
        reason: 'invalid_recipient',
        detail: 'recipient: not a valid number',
      }),
    ).toBe('12,+49*********78,invalid_recipient,recipient: not a valid number');
  });

  it('quotes fields with commas, quotes or line breaks, as CSV readers expect', () => {
    const line = rejectionReportLine({
      row: 3,
      recipient: 4915112345678,
      reason: 'schema_violation',
      detail: 'template.name: "Autumn, Sale"\nbad',
    });
    expect(line).toBe('3,+49*********78,schema_violation,"template.name: ""Autumn, Sale""\nbad"');
  });

  it('leaves the recipient empty when the row had none, and masks short values completely', () => {
    expect(
      rejectionReportLine({ row: 1, recipient: undefined, reason: 'schema_violation', detail: 'column phone is empty or missing' }),
    ).toBe('1,,schema_violation,column phone is empty or missing');
    expect(rejectionReportLine({ row: 2, recipient: '123', reason: 'invalid_recipient', detail: 'x' })).toBe('2,***,invalid_recipient,x');
  });
});
