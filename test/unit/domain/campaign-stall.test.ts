import { describe, expect, it } from 'vitest';
import { acceptedChangedAt, isStalled, STALL_AFTER_MS } from '../../../lib/domain/campaign-stall.ts';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('when the accepted count last moved', () => {
  it('is now on the first tick and whenever the count moves', () => {
    expect(acceptedChangedAt(undefined, 0, NOW)).toBe(iso(NOW));
    expect(acceptedChangedAt({ accepted: 5, acceptedChangedAt: iso(NOW - 60_000) }, 6, NOW)).toBe(iso(NOW));
  });
  it('stays when the count has not moved', () => {
    expect(acceptedChangedAt({ accepted: 5, acceptedChangedAt: iso(NOW - 60_000) }, 5, NOW)).toBe(iso(NOW - 60_000));
  });
  it('starts now for an item written before the watch existed', () => {
    expect(acceptedChangedAt({ accepted: 5 }, 5, NOW)).toBe(iso(NOW));
  });
});

describe('a stalled campaign', () => {
  const still = (ms: number) => ({ readyToSend: 10, acceptedChangedAt: iso(NOW - ms), now: NOW });
  it('is one with jobs ready and nothing accepted for ten minutes', () => {
    expect(isStalled(still(STALL_AFTER_MS - 1))).toBe(false);
    expect(isStalled(still(STALL_AFTER_MS))).toBe(true);
  });
  it('is not one with nothing ready to send (only deferrals or accepted jobs waiting for statuses)', () => {
    expect(isStalled({ ...still(2 * STALL_AFTER_MS), readyToSend: 0 })).toBe(false);
  });
  it('is not one while its send window is closed, or was closed ten minutes ago', () => {
    const window = { from: '09:00', until: '12:05', defaultTimeZone: 'UTC' };
    expect(isStalled({ ...still(STALL_AFTER_MS), sendWindow: window })).toBe(true);
    expect(isStalled({ ...still(STALL_AFTER_MS), sendWindow: { ...window, until: '11:59' } })).toBe(false);
    expect(isStalled({ ...still(STALL_AFTER_MS), sendWindow: { ...window, from: '11:55' } })).toBe(false);
  });
});
