import { describe, expect, it } from 'vitest';
import { resendVerdict } from '../../../lib/domain/resend-rule.ts';

const now = Date.parse('2026-12-04T12:00:00.000Z');
const hour = 3_600_000;
const job = { state: 'unknown', claimedAt: new Date(now - 2 * hour).toISOString(), validUntil: new Date(now + hour).toISOString() };

describe('whether an unknown job may be re-sent', () => {
  it('re-sends an unknown job claimed longer ago than the window, still valid, never re-sent', () => {
    expect(resendVerdict(job, now, hour)).toBe('resend');
  });

  it('refuses within the window, past the validity, a second time, or for a job no longer unknown', () => {
    expect(resendVerdict(job, now, 3 * hour)).toBe('too_recent');
    expect(resendVerdict({ ...job, validUntil: new Date(now).toISOString() }, now, hour)).toBe('past_validity');
    expect(resendVerdict({ ...job, resentAt: new Date(now - hour).toISOString() }, now, hour)).toBe('already_resent');
    expect(resendVerdict({ ...job, state: 'accepted' }, now, hour)).toBe('not_unknown');
  });
});
