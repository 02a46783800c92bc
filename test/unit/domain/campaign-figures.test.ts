import { describe, expect, it } from 'vitest';
import { campaignFigures } from '../../../lib/domain/campaign-figures.ts';
import type { JobRecord } from '../../../lib/jobs/job-record.ts';
import { countsOfChange } from '../../../lib/jobs/state-gauges.ts';

describe('campaign figures', () => {
  it('count each recipient once in its current state, whatever the retries', () => {
    const totals: Record<string, number> = {};
    const apply = (...args: Parameters<typeof countsOfChange>) => {
      for (const [name, n] of Object.entries(countsOfChange(...args))) totals[name] = (totals[name] ?? 0) + n;
    };
    const job = (state: JobRecord['state'], extra: Partial<JobRecord> = {}) => ({ state, attempt: 1, retries: 0, ...extra });
    const accepted = { state: 'accepted', wamid: 'w', messageStatus: 'accepted' } as const;
    // accepted, failed 131049 → deferred, sent again, accepted, delivered.
    apply(job('sending', { claimedFrom: 'none' }), { kind: 'decision', decision: accepted });
    const deferral = { state: 'deferred', reason: '131049', dueAt: 1, attempt: 2, retries: 1, errorCode: 131049 } as const;
    apply(job('accepted', { acceptedAt: 'x' }), { kind: 'decision', decision: deferral });
    apply(job('sending', { claimedFrom: 'deferred', acceptedAt: 'x', attempt: 2, retries: 1 }), { kind: 'decision', decision: accepted });
    apply(job('accepted', { acceptedAt: 'x', attempt: 2, retries: 1 }), { kind: 'progress', state: 'delivered' });
    // another recipient failed permanently
    apply(job('sending', { claimedFrom: 'none' }), { kind: 'decision', decision: accepted });
    apply(job('accepted', { acceptedAt: 'x' }), { kind: 'decision', decision: { state: 'failed', reason: 'r', errorCode: 131026 } });
    const figures = campaignFigures(totals);
    expect(figures).toEqual({
      byState: { delivered: 1, failed: 1 },
      failedByCode: { 131026: 1 },
      uniqueAccepted: 2,
      uniqueDelivered: 1,
      deliveryRate: 0.5,
      retries: { scheduled: 1, acceptedOnRetry: 1, deliveredAfterRetry: 1 },
      perUserLimitHits: 1,
      deferredBeforeSending: 0,
      rejected: 0,
    });
  });

  it('has no delivery rate before anything was accepted', () => {
    expect(campaignFigures({}).deliveryRate).toBeUndefined();
  });
});
