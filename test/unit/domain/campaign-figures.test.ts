import { describe, expect, it } from 'vitest';
import { campaignFigures } from '../../../lib/domain/campaign-figures.ts';
import type { JobRecord } from '../../../lib/jobs/job-record.ts';
import { type CountedImage, countsOfImages } from '../../../lib/jobs/state-gauges.ts';

describe('campaign figures', () => {
  it('count each recipient once in its current state, whatever the retries', () => {
    const totals: Record<string, number> = {};
    // Each job's images as the stream shows them, one change after another.
    const live = (...images: CountedImage[]) => {
      let before: CountedImage | undefined;
      for (const after of images) {
        for (const [name, n] of Object.entries(countsOfImages(before, after))) totals[name] = (totals[name] ?? 0) + n;
        before = after;
      }
    };
    const job = (state: JobRecord['state'], extra: Partial<CountedImage> = {}): CountedImage => ({
      state,
      attempt: 1,
      retries: 0,
      ...extra,
    });
    // accepted, failed 131049 → deferred, sent again, accepted, delivered.
    live(
      job('sending', { claimedFrom: 'none' }),
      job('accepted', { acceptedAt: 'x' }),
      job('deferred', { acceptedAt: 'x', attempt: 2, lastErrorCode: 131049, perUserLimitHits: 1, retriesScheduled: 1 }),
      job('sending', { claimedFrom: 'deferred', acceptedAt: 'x', attempt: 2, perUserLimitHits: 1, retriesScheduled: 1 }),
      job('accepted', { acceptedAt: 'y', attempt: 2, perUserLimitHits: 1, retriesScheduled: 1 }),
      job('delivered', { acceptedAt: 'y', deliveredAt: 'z', attempt: 2, perUserLimitHits: 1, retriesScheduled: 1 }),
    );
    // another recipient failed permanently
    live(
      job('sending', { claimedFrom: 'none' }),
      job('accepted', { acceptedAt: 'x' }),
      job('failed', { acceptedAt: 'x', lastErrorCode: 131026 }),
    );
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
