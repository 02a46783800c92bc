import { describe, expect, it } from 'vitest';
import { COMPLETION_GRACE_MS, campaignProgress, type ProgressInput } from '../../../lib/domain/campaign-progress.ts';

const NOW = Date.parse('2026-12-04T10:00:00Z');
const HOUR = 3_600_000;

function input(overrides: Partial<Omit<ProgressInput, 'fed'>> & { fed?: Partial<ProgressInput['fed']> } = {}): ProgressInput {
  const { fed, ...rest } = overrides;
  return {
    fed: { rowsRead: 0, offset: 0, size: 10_000, enqueued: 0, rejected: 0, duplicates: 0, ...fed },
    counters: {},
    now: NOW,
    validUntil: NOW + 24 * HOUR,
    ratePerSecond: 80,
    ...rest,
  };
}

describe('campaign progress', () => {
  it('counts rejected and duplicate rows from the feeder and from the send path together', () => {
    const progress = campaignProgress(
      input({ fed: { rowsRead: 10, enqueued: 8, rejected: 1, duplicates: 1 }, counters: { rejected: 1, duplicates: 2 } }),
    );
    expect(progress).toMatchObject({ rowsRead: 10, enqueued: 8, rejected: 2, duplicates: 3 });
  });

  it('is not done while jobs wait for their outcome, and is done when every enqueued job has one', () => {
    const fed = { rowsRead: 10, enqueued: 10, fedAt: NOW - 1_000, offset: 100, size: 100 };
    const waiting = campaignProgress(input({ fed, counters: { state_delivered: 6, state_accepted: 2, state_deferred: 1 } }));
    expect(waiting).toMatchObject({ waiting: 4, done: false });
    const finished = campaignProgress(
      input({ fed, counters: { state_delivered: 5, state_read: 2, state_failed: 1, state_suppressed: 1, duplicates: 1 } }),
    );
    expect(finished).toMatchObject({ waiting: 0, done: true, read: 2, failed: 1 });
  });

  it('is done once the validity is over and the sweep has counted the drops, whatever is still waiting', () => {
    const fed = { rowsRead: 10, enqueued: 10, fedAt: NOW - HOUR, offset: 100, size: 100 };
    const at = (now: number) => campaignProgress(input({ fed, counters: { state_accepted: 10 }, now })).done;
    expect(at(NOW + 24 * HOUR + COMPLETION_GRACE_MS - 1)).toBe(false);
    expect(at(NOW + 24 * HOUR + COMPLETION_GRACE_MS)).toBe(true);
  });

  it('is never done before the whole audience was fed', () => {
    expect(campaignProgress(input({ fed: { rowsRead: 10, enqueued: 10, offset: 100 }, counters: { state_delivered: 10 } })).done).toBe(
      false,
    );
  });

  it('estimates the end from the bytes left, the jobs not yet sent and the rate', () => {
    // 1,000 of 10,000 bytes read in 100 rows: about 900 rows left, plus 20 enqueued not yet recorded, at 80/s.
    const progress = campaignProgress(input({ fed: { rowsRead: 100, offset: 1_000, enqueued: 100 }, counters: { state_accepted: 80 } }));
    expect(progress.etaAt).toBe(NOW + Math.ceil((920 / 80) * 1000));
    expect(campaignProgress(input()).etaAt).toBeUndefined();
  });

  it('stretches the estimate by the hours the send window is closed', () => {
    const fed = { rowsRead: 100, offset: 1_000, enqueued: 100 };
    const window = { from: '09:00', until: '21:00', defaultTimeZone: 'Europe/Berlin' };
    const progress = campaignProgress(input({ fed, counters: { state_accepted: 80 }, sendWindow: window }));
    expect(progress.etaAt).toBe(NOW + Math.ceil((920 / 80) * 2 * 1000));
  });

  it('counts as ready to send the jobs on the queue or waiting to retry and the rows not read, not the deferrals', () => {
    const fed = { rowsRead: 10, enqueued: 9, rejected: 1, offset: 50, size: 100 };
    const progress = campaignProgress(
      input({ fed, counters: { state_accepted: 3, state_delivered: 1, state_retry_wait: 2, state_deferred: 1 } }),
    );
    // 9 enqueued, 7 with an item: 2 on the queue, 2 waiting to retry, 10 rows in the half not read.
    expect(progress.readyToSend).toBe(2 + 2 + 10);
    // Of the 20 rows, the rejected one and the delivered one have their outcome.
    expect(progress.waiting).toBe(8);
    expect(progress.percentDone).toBe(10);
  });

  it('counts one row not read before the first row, and is 100 % done when every row has its outcome', () => {
    expect(campaignProgress(input())).toMatchObject({ readyToSend: 1, percentDone: 0 });
    const fed = { rowsRead: 4, enqueued: 3, duplicates: 1, fedAt: NOW, offset: 100, size: 100 };
    expect(campaignProgress(input({ fed, counters: { state_delivered: 2, state_failed: 1 } }))).toMatchObject({
      readyToSend: 0,
      percentDone: 100,
    });
  });
});
