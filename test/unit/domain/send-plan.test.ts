import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  dispatchRoute,
  type JobProgress,
  planAfterSend,
  planHold,
  planRelease,
  type SendOutcome,
} from '../../../lib/domain/send-plan.ts';

const HOUR = 3_600_000;
const now = Date.parse('2026-11-26T10:00:00Z');
const fresh: JobProgress = { attempt: 1, retries: 0, validUntil: now + 72 * HOUR };
const noJitter = () => 0;
const metaError = (code: number): SendOutcome => ({ kind: 'meta_error', code, message: '', httpStatus: 400 });
const plan = (outcome: SendOutcome, progress = fresh, policy = DEFAULT_RETRY_POLICY) =>
  planAfterSend(outcome, progress, { now, policy, random: noJitter });

describe('planAfterSend', () => {
  it('records an accepted send with its wamid', () => {
    expect(plan({ kind: 'accepted', wamid: 'wamid.1', messageStatus: 'held_for_quality_assessment' })).toEqual({
      state: 'accepted',
      wamid: 'wamid.1',
      messageStatus: 'held_for_quality_assessment',
    });
  });

  it("keeps Meta's wa_id for the status lookup", () => {
    expect(plan({ kind: 'accepted', wamid: 'wamid.1', messageStatus: 'accepted', waId: '551187654321' })).toMatchObject({
      state: 'accepted',
      waId: '551187654321',
    });
  });

  it('never re-sends when the outcome is unknown', () => {
    expect(plan({ kind: 'unknown', reason: 'timeout' })).toMatchObject({ state: 'unknown' });
  });

  it('retries a request that never left after 30 s', () => {
    expect(plan({ kind: 'not_sent', reason: 'ECONNREFUSED' })).toMatchObject({
      state: 'retry_wait',
      dueAt: now + 30_000,
      retries: 1,
      attempt: 1,
    });
  });

  it.each([
    [2, 300],
    [131000, 60],
    [131057, 60],
    [134101, 600],
    [130429, 2],
  ])('waits the classified time after %i', (code, seconds) => {
    expect(plan(metaError(code))).toMatchObject({ state: 'retry_wait', dueAt: now + seconds * 1000, errorCode: code });
  });

  it('does not spend a retry on 130429 (the fleet was too fast, not the job)', () => {
    expect(plan(metaError(130429), { ...fresh, retries: 10 })).toMatchObject({ state: 'retry_wait', retries: 10 });
  });

  it('backs off 4^n seconds after repeated 131056', () => {
    expect(plan(metaError(131056), { ...fresh, retries: 0 })).toMatchObject({ dueAt: now + 4_000 });
    expect(plan(metaError(131056), { ...fresh, retries: 2 })).toMatchObject({ dueAt: now + 64_000, retries: 3 });
  });

  it('adds jitter within the configured ratio', () => {
    const decision = planAfterSend(metaError(131000), fresh, { now, policy: DEFAULT_RETRY_POLICY, random: () => 1 });
    expect(decision).toMatchObject({ dueAt: now + 72_000 });
  });

  it('fails permanently on request errors', () => {
    expect(plan(metaError(132000))).toMatchObject({ state: 'failed', errorCode: 132000, errorKind: 'permanent' });
  });

  it('gives up after the transient retry budget', () => {
    expect(plan(metaError(131000), { ...fresh, retries: DEFAULT_RETRY_POLICY.maxTransientRetries })).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('gave up after 10 retries'),
    });
  });

  it('expires instead of retrying past the validity', () => {
    expect(plan(metaError(131000), { ...fresh, validUntil: now + 30_000 })).toMatchObject({ state: 'expired', errorCode: 131000 });
  });

  it('defers a 131049 by 24 hours as the next attempt', () => {
    expect(plan(metaError(131049))).toMatchObject({ state: 'deferred', dueAt: now + 24 * HOUR, attempt: 2, retries: 0 });
  });

  it('ends a 131049 as expired when the validity ends first', () => {
    expect(plan(metaError(131049), { ...fresh, validUntil: now + 23 * HOUR })).toMatchObject({ state: 'expired' });
  });

  it('ends a 131049 as limit_exhausted at the attempt cap', () => {
    expect(plan(metaError(131049), { ...fresh, attempt: 3 })).toMatchObject({ state: 'limit_exhausted', errorCode: 131049 });
  });

  it('suppresses an opted-out recipient', () => {
    expect(plan(metaError(131050))).toMatchObject({ state: 'suppressed', errorCode: 131050 });
  });

  it('holds jobs without spending retries when the number or template is blocked', () => {
    expect(plan(metaError(190), { ...fresh, retries: 4 })).toMatchObject({
      state: 'retry_wait',
      retries: 4,
      dueAt: now + DEFAULT_RETRY_POLICY.holdSeconds * 1000,
      errorKind: 'stop_phone_number',
    });
    expect(plan(metaError(132015))).toMatchObject({ state: 'retry_wait', errorKind: 'pause_campaign' });
  });

  it('routes waits longer than 900 s through the deferred queue', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, holdSeconds: 3_600 };
    expect(plan(metaError(190), fresh, policy)).toMatchObject({ state: 'deferred', dueAt: now + HOUR });
  });
});

describe('dispatchRoute', () => {
  it('uses an SQS delay up to 900 s', () => {
    expect(dispatchRoute(now + 900_000, now)).toEqual({ queue: 'send', delaySeconds: 900 });
    expect(dispatchRoute(now - 5_000, now)).toEqual({ queue: 'send', delaySeconds: 0 });
    expect(dispatchRoute(now + 1_500, now)).toEqual({ queue: 'send', delaySeconds: 2 });
  });

  it('uses the deferred queue beyond 900 s', () => {
    expect(dispatchRoute(now + 901_000, now)).toEqual({ queue: 'deferred', dueAt: now + 901_000 });
  });
});

describe('planRelease', () => {
  it('forwards with the remaining delay in the last 900 s', () => {
    expect(planRelease({ dueAt: now + 600_000, now, sentAt: now })).toEqual({ action: 'forward', delaySeconds: 600 });
    expect(planRelease({ dueAt: now - 1, now, sentAt: now })).toEqual({ action: 'forward', delaySeconds: 0 });
  });

  it('parks for at most 12 h, leaving the last 900 s to the delay', () => {
    expect(planRelease({ dueAt: now + 24 * HOUR, now, sentAt: now })).toEqual({ action: 'park', visibilitySeconds: 43_200 });
    expect(planRelease({ dueAt: now + 2 * HOUR, now, sentAt: now })).toEqual({ action: 'park', visibilitySeconds: 7_200 - 900 });
  });

  it('sends a message again as a new one rather than park it past a week old, so that no wait meets the 14-day retention', () => {
    const due = now + 20 * 24 * HOUR;
    expect(planRelease({ dueAt: due, now, sentAt: now - 6 * 24 * HOUR })).toEqual({ action: 'park', visibilitySeconds: 43_200 });
    expect(planRelease({ dueAt: due, now, sentAt: now - 6.5 * 24 * HOUR - 1 })).toEqual({ action: 'renew' });
    // A message due within the next park is parked or forwarded, however old.
    expect(planRelease({ dueAt: now + 2 * HOUR, now, sentAt: now - 6.9 * 24 * HOUR })).toEqual({
      action: 'park',
      visibilitySeconds: 6_300,
    });
    expect(planRelease({ dueAt: now + 60_000, now, sentAt: now - 13 * 24 * HOUR })).toEqual({ action: 'forward', delaySeconds: 60 });
  });

  it('never produces a value SQS would reject', () => {
    for (let offset = -10_000; offset < 40 * HOUR; offset += 997_000) {
      const step = planRelease({ dueAt: now + offset, now, sentAt: now });
      if (step.action === 'renew') throw new Error('a fresh message is never renewed');
      if (step.action === 'park') {
        expect(step.visibilitySeconds).toBeGreaterThan(0);
        expect(step.visibilitySeconds).toBeLessThanOrEqual(43_200);
      } else {
        expect(step.delaySeconds).toBeLessThanOrEqual(900);
      }
    }
  });
});

describe('planHold', () => {
  const progress = { attempt: 2, retries: 3, validUntil: now + 3_600_000 };

  it('waits until the breaker lets the job go, spending no retry, marked as held (not counted as a retry)', () => {
    expect(planHold(progress, now, now + 60_000, 'held')).toEqual({
      state: 'retry_wait',
      reason: 'held',
      dueAt: now + 60_000,
      attempt: 2,
      retries: 3,
      held: true,
    });
  });

  it('waits at least a second', () => {
    expect(planHold(progress, now, now - 5_000, 'held')).toMatchObject({ state: 'retry_wait', dueAt: now + 1_000 });
  });

  it('ends the job when its validity ends before the wait does', () => {
    expect(planHold(progress, now, now + 7_200_000, 'held')).toMatchObject({ state: 'expired' });
  });
});
