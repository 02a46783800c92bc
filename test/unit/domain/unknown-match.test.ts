import { describe, expect, it } from 'vitest';
import type { JobState } from '../../../lib/domain/job-state.ts';
import { unknownJobSentBefore } from '../../../lib/domain/unknown-match.ts';

const claimedAt = Date.parse('2026-12-04T10:00:00.000Z');
const job = (jobKey: string, state: JobState, at = claimedAt) => ({
  jobKey,
  state,
  claimToken: `t-${jobKey}`,
  claimedAt: new Date(at).toISOString(),
});
const WINDOW = 600_000;

describe('matching a status to an unknown job by recipient and time', () => {
  it('takes the recipient’s one unknown job claimed within the window before the status', () => {
    const jobs = [job('a', 'unknown'), job('b', 'delivered')];
    expect(unknownJobSentBefore(jobs, claimedAt + 3_000, WINDOW)?.jobKey).toBe('a');
    // Meta's whole seconds, rounded down, may date the status just before the claim.
    expect(unknownJobSentBefore(jobs, claimedAt - 1_000, WINDOW)?.jobKey).toBe('a');
  });

  it('matches nothing outside the window, with two unknown jobs, while a job is being sent, or when switched off', () => {
    expect(unknownJobSentBefore([job('a', 'unknown')], claimedAt + WINDOW + 1, WINDOW)).toBeUndefined();
    expect(unknownJobSentBefore([job('a', 'unknown')], claimedAt - 60_000, WINDOW)).toBeUndefined();
    expect(unknownJobSentBefore([job('a', 'unknown'), job('b', 'unknown')], claimedAt + 1_000, WINDOW)).toBeUndefined();
    expect(unknownJobSentBefore([job('a', 'unknown'), job('b', 'sending')], claimedAt + 1_000, WINDOW)).toBeUndefined();
    expect(unknownJobSentBefore([job('a', 'unknown')], claimedAt + 1_000, 0)).toBeUndefined();
  });
});
