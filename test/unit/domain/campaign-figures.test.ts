import { describe, expect, it } from 'vitest';
import { campaignFigures } from '../../../lib/domain/campaign-figures.ts';
import { BatchTally } from '../../../lib/jobs/batch-tally.ts';

describe('campaign figures', () => {
  it('count each recipient once in its current state, whatever the retries', () => {
    const tally = new BatchTally();
    // accepted, failed 131049 → deferred, sent again (sending), accepted, delivered.
    tally.transition('c', undefined, { state: 'accepted' });
    tally.count('c', 'uniqueAccepted');
    tally.transition('c', { state: 'accepted' }, { state: 'deferred' });
    tally.count('c', 'retriesScheduled');
    tally.transition('c', { state: 'deferred' }, { state: 'sending' });
    tally.transition('c', undefined, { state: 'accepted' });
    tally.count('c', 'acceptedOnRetry');
    tally.transition('c', { state: 'accepted' }, { state: 'delivered' });
    tally.count('c', 'uniqueDelivered');
    tally.count('c', 'deliveredAfterRetry');
    // another recipient failed permanently
    tally.transition('c', undefined, { state: 'accepted' });
    tally.count('c', 'uniqueAccepted');
    tally.transition('c', { state: 'accepted' }, { state: 'failed', errorCode: 131026 });
    const figures = campaignFigures(tally.byCampaign.get('c')!);
    expect(figures).toEqual({
      byState: { delivered: 1, failed: 1 },
      failedByCode: { 131026: 1 },
      uniqueAccepted: 2,
      uniqueDelivered: 1,
      deliveryRate: 0.5,
      retries: { scheduled: 1, acceptedOnRetry: 1, deliveredAfterRetry: 1 },
      perUserLimitHits: 0,
      deferredBeforeSending: 0,
      rejected: 0,
    });
  });

  it('has no delivery rate before anything was accepted', () => {
    expect(campaignFigures({}).deliveryRate).toBeUndefined();
  });
});
