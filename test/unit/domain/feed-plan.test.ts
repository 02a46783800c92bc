import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addWaiting,
  campaignShare,
  estimateCompletion,
  FEED_BATCH_SIZE,
  type FeedBudgetInput,
  feedBudget,
  notBeforeFor,
  waitingAfter,
} from '../../../lib/domain/feed-plan.ts';

const BASE: FeedBudgetInput = {
  ratePerSecond: 80,
  shareWeight: 1,
  totalWeight: 1,
  horizonSeconds: 120,
  enqueued: 0,
  settled: 0,
  waitingForWindow: 0,
};

describe('feedBudget', () => {
  it('keeps the share × horizon of jobs queued', () => {
    expect(feedBudget(BASE)).toBe(9_600);
    expect(feedBudget({ ...BASE, enqueued: 9_600 })).toBe(0);
    expect(feedBudget({ ...BASE, enqueued: 9_600, settled: 1_000 })).toBe(1_000);
  });

  it('gives a campaign its weighted share of the number beside the other SENDING campaigns', () => {
    expect(feedBudget({ ...BASE, shareWeight: 1, totalWeight: 4 })).toBe(2_400);
    expect(feedBudget({ ...BASE, shareWeight: 3, totalWeight: 4 })).toBe(7_200);
    // A total read before this campaign was counted in it: never more than the whole rate.
    expect(campaignShare({ ...BASE, shareWeight: 2, totalWeight: 1 })).toBe(80);
  });

  it('does not count jobs waiting for their window as queued', () => {
    expect(feedBudget({ ...BASE, enqueued: 9_600, waitingForWindow: 600 })).toBe(600);
  });

  it('never goes negative, and gives one batch when nothing is queued and the share rounds to no job', () => {
    expect(feedBudget({ ...BASE, enqueued: 20_000 })).toBe(0);
    expect(feedBudget({ ...BASE, ratePerSecond: 1, totalWeight: 1_000 })).toBe(FEED_BATCH_SIZE);
    expect(feedBudget({ ...BASE, ratePerSecond: 1, totalWeight: 1_000, enqueued: 1 })).toBe(0);
  });

  it('holds for any counts: never negative, never over the target beyond one batch, and queued plus budget reaches the target', () => {
    const counts = fc.record({
      ratePerSecond: fc.integer({ min: 0, max: 1_000 }),
      shareWeight: fc.integer({ min: 1, max: 100 }),
      totalWeight: fc.integer({ min: 0, max: 1_000 }),
      horizonSeconds: fc.integer({ min: 1, max: 600 }),
      enqueued: fc.integer({ min: 0, max: 1_000_000 }),
      settled: fc.integer({ min: 0, max: 1_000_000 }),
      waitingForWindow: fc.integer({ min: 0, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(counts, (input) => {
        const budget = feedBudget(input);
        const target = Math.floor(campaignShare(input) * input.horizonSeconds);
        const queued = Math.max(0, input.enqueued - input.settled - input.waitingForWindow);
        expect(Number.isInteger(budget) && budget >= 0).toBe(true);
        expect(queued + budget).toBeGreaterThanOrEqual(target);
        expect(queued + budget).toBeLessThanOrEqual(Math.max(target, queued, FEED_BATCH_SIZE));
        if (queued === 0) expect(budget).toBeGreaterThanOrEqual(FEED_BATCH_SIZE);
      }),
    );
  });
});

describe('notBeforeFor', () => {
  const window = { from: '09:00', until: '21:00' };
  const NOW = Date.parse('2026-12-04T10:00:00Z'); // 11:00 in Berlin, 05:00 in New York, 02:00 in Los Angeles
  const validUntil = Date.parse('2026-12-04T16:00:00Z');

  it('sends now without a window, or inside it', () => {
    expect(notBeforeFor({ timeZones: ['Europe/Berlin'], now: NOW, validUntil })).toEqual({ send: 'now' });
    expect(notBeforeFor({ sendWindow: window, timeZones: ['Europe/Berlin'], now: NOW, validUntil })).toEqual({ send: 'now' });
  });

  it('waits until the window opens for a recipient in quiet hours', () => {
    expect(notBeforeFor({ sendWindow: window, timeZones: ['America/New_York'], now: NOW, validUntil })).toEqual({
      send: 'at',
      notBefore: Date.parse('2026-12-04T14:00:00Z'),
    });
  });

  it('never sends when the window opens only after the validity, or the validity is over', () => {
    const late = notBeforeFor({ sendWindow: window, timeZones: ['America/Los_Angeles'], now: NOW, validUntil });
    expect(late).toEqual({ send: 'never', reason: expect.stringContaining("opens only after the message's validity") });
    const over = notBeforeFor({ timeZones: ['Europe/Berlin'], now: validUntil, validUntil });
    expect(over).toEqual({ send: 'never', reason: expect.stringContaining('validity ended') });
  });

  it('never sends when the window is never open in all zones at once', () => {
    const apart = notBeforeFor({
      sendWindow: { from: '09:00', until: '10:00' },
      timeZones: ['Europe/Berlin', 'Asia/Tokyo'],
      now: NOW,
      validUntil,
    });
    expect(apart).toEqual({ send: 'never', reason: expect.stringContaining('never open') });
  });
});

describe('waiting for windows', () => {
  it('counts jobs by the second their window opens, and drops the windows that have opened', () => {
    let waiting = addWaiting({}, 1_000_500);
    waiting = addWaiting(waiting, 1_001_000);
    waiting = addWaiting(waiting, 2_000_000);
    expect(waiting).toEqual({ '1001': 2, '2000': 1 });
    expect(waitingAfter(waiting, 1_000)).toEqual({ waitingUntil: waiting, waiting: 3 });
    expect(waitingAfter(waiting, 1_001)).toEqual({ waitingUntil: { '2000': 1 }, waiting: 1 });
    expect(waitingAfter(waiting, 2_000)).toEqual({ waitingUntil: {}, waiting: 0 });
  });
});

describe('estimateCompletion', () => {
  const NOW = Date.parse('2026-12-04T10:00:00Z');

  it('is the rows left at the rate', () => {
    expect(estimateCompletion({ remainingRows: 8_000, ratePerSecond: 80, now: NOW })).toBe(NOW + 100_000);
    expect(estimateCompletion({ remainingRows: 8_000, ratePerSecond: 0, now: NOW })).toBeUndefined();
  });

  it('stretches by the closed share of the day under a send window, also one over midnight', () => {
    expect(estimateCompletion({ remainingRows: 8_000, ratePerSecond: 80, now: NOW, window: { from: '09:00', until: '21:00' } })).toBe(
      NOW + 200_000,
    );
    expect(estimateCompletion({ remainingRows: 8_000, ratePerSecond: 80, now: NOW, window: { from: '18:00', until: '00:00' } })).toBe(
      NOW + 400_000,
    );
  });
});
