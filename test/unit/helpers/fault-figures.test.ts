import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../../lib/jobs/job-record.ts';
import { computeTotals, FaultLedger, violations } from '../../helpers/fault-accounting.ts';

const recipient = (n: number) => `+4915110099${String(n).padStart(3, '0')}`;
const job = (n: number, state: JobRecord['state'], extra: Partial<JobRecord> = {}) =>
  ({
    jobKey: `figures#${recipient(n)}`,
    campaignId: 'figures',
    recipient: recipient(n),
    state,
    attempt: 1,
    retries: 0,
    apiCalls: 0,
    ...extra,
  }) as JobRecord;

function totalsWith(counters: Record<string, number>) {
  const ledger = new FaultLedger('figures');
  ledger.addJobs([0, 1, 2].map((n) => ({ campaignId: 'figures', recipient: recipient(n) })));
  const jobs = [
    job(0, 'delivered', { acceptedAt: 'x', deliveredAt: 'y' }),
    job(1, 'accepted', { acceptedAt: 'x' }),
    job(2, 'failed', { lastErrorCode: 131026 }),
  ];
  return computeTotals(ledger, { calls: [], jobs, sendDlq: [], queuedMessages: 0, now: 0, counters: { figures: counters } });
}

describe('the fault suite checks the figures against the job items', () => {
  const truthful = { state_delivered: 1, state_accepted: 1, state_failed: 1, failedCode_131026: 1, uniqueAccepted: 2, uniqueDelivered: 1 };

  it('passes counters that match the job items, whatever the counts it cannot recount', () => {
    const totals = totalsWith({ ...truthful, acceptedOnRetry: 4, duplicates: 2 });
    expect(totals.figuresOff).toBe(0);
    expect(violations(totals).filter((v) => v.includes('counters'))).toEqual([]);
  });

  it('fails counters a lost batch left behind: a negative gauge, more delivered than accepted', () => {
    const totals = totalsWith({ ...truthful, state_accepted: -1, uniqueAccepted: 0 });
    expect(totals.details.figuresOff).toEqual(['figures state_accepted: -1 ≠ 1', 'figures uniqueAccepted: 0 ≠ 2']);
    expect(violations(totals)).toContainEqual(expect.stringContaining('2 campaign counters off the job items'));
  });
});
