import { describe, expect, it } from 'vitest';
import { type BeforeSendFacts, holdingOf, planBeforeSend } from '../../../lib/domain/before-send.ts';

const NOW = Date.parse('2026-12-01T10:00:00Z');
const HOUR = 3_600_000;
const facts = (overrides: Partial<BeforeSendFacts> = {}): BeforeSendFacts => ({
  now: NOW,
  validUntil: NOW + 12 * HOUR,
  perUserLimitDelaySeconds: 86_400,
  gate: { action: 'send' },
  ...overrides,
});

describe('planBeforeSend', () => {
  it('sends a valid job when nothing stands in the way', () => {
    expect(planBeforeSend(facts())).toEqual({ action: 'send' });
  });

  it('puts a job back until its notBefore when that comes before its validity ends', () => {
    expect(planBeforeSend(facts({ notBefore: NOW + HOUR }))).toEqual({ action: 'wait', dueAt: NOW + HOUR, reason: 'notBefore' });
  });

  it('expires a job whose notBefore lies at or after its validity deadline, without waiting for it', () => {
    expect(planBeforeSend(facts({ notBefore: NOW + 12 * HOUR }))).toMatchObject({ action: 'settle', state: 'expired' });
  });

  it('sends a job whose notBefore has passed', () => {
    expect(planBeforeSend(facts({ notBefore: NOW - 1 }))).toEqual({ action: 'send' });
  });

  it('expires a job at its validity deadline, to the millisecond', () => {
    expect(planBeforeSend(facts({ validUntil: NOW + 1 }))).toEqual({ action: 'send' });
    expect(planBeforeSend(facts({ validUntil: NOW }))).toEqual({
      action: 'settle',
      state: 'expired',
      reason: 'validity ended before sending',
    });
  });

  it('suppresses a recipient who opted out, naming the source', () => {
    expect(planBeforeSend(facts({ recipient: { optedOut: true, optOutSource: 'user_preferences' } }))).toEqual({
      action: 'settle',
      state: 'suppressed',
      reason: 'recipient opted out (user_preferences)',
    });
    expect(planBeforeSend(facts({ recipient: { optedOut: true } }))).toMatchObject({ reason: 'recipient opted out (unknown source)' });
  });

  it('defers a job until 24 h after the recipient’s last 131049', () => {
    const hitAt = NOW - 2 * HOUR;
    const step = planBeforeSend(facts({ validUntil: NOW + 48 * HOUR, recipient: { lastLimitHitAt: new Date(hitAt).toISOString() } }));
    expect(step).toEqual({ action: 'defer', dueAt: hitAt + 24 * HOUR, reason: 'recent 131049 for this recipient' });
  });

  it('expires a job whose validity ends before the recipient’s limit clears', () => {
    const step = planBeforeSend(facts({ recipient: { lastLimitHitAt: new Date(NOW - HOUR).toISOString() } }));
    expect(step).toEqual({ action: 'settle', state: 'expired', reason: 'recent 131049; validity ends before the limit clears' });
  });

  it('sends once the limit has cleared', () => {
    expect(planBeforeSend(facts({ recipient: { lastLimitHitAt: new Date(NOW - 25 * HOUR).toISOString() } }))).toEqual({ action: 'send' });
  });

  it('follows the breakers: cancel, hold, or probe with a hold if another sender probes', () => {
    expect(planBeforeSend(facts({ gate: { action: 'cancel', reason: 'campaign cancelled' } }))).toEqual({
      action: 'settle',
      state: 'cancelled',
      reason: 'campaign cancelled',
    });
    expect(planBeforeSend(facts({ gate: { action: 'hold', until: NOW + 60_000, reason: 'phone number stopped' } }))).toEqual({
      action: 'hold',
      until: NOW + 60_000,
      reason: 'phone number stopped',
    });
    expect(planBeforeSend(facts({ gate: { action: 'probe', scope: 'phone' } }))).toEqual({
      action: 'probe',
      scope: 'phone',
      otherwise: { until: NOW + 60_000, reason: 'another sender is probing' },
    });
  });

  it('spaces a second job to the same recipient in a batch, after every other check', () => {
    expect(planBeforeSend(facts({ pairSpacingSeconds: 6 }))).toEqual({ action: 'space', delaySeconds: 6 });
    expect(planBeforeSend(facts({ pairSpacingSeconds: 6, gate: { action: 'hold', until: NOW + 1, reason: 'r' } }))).toMatchObject({
      action: 'hold',
    });
  });

  it('applies the checks in order: validity before opt-out, opt-out before the limit, the limit before the breakers', () => {
    const everything = facts({
      validUntil: NOW,
      recipient: { optedOut: true, lastLimitHitAt: new Date(NOW).toISOString() },
      gate: { action: 'cancel', reason: 'campaign cancelled' },
    });
    expect(planBeforeSend(everything)).toMatchObject({ state: 'expired' });
    expect(planBeforeSend({ ...everything, validUntil: NOW + 48 * HOUR })).toMatchObject({ state: 'suppressed' });
    expect(
      planBeforeSend({ ...everything, validUntil: NOW + 48 * HOUR, recipient: { lastLimitHitAt: new Date(NOW).toISOString() } }),
    ).toMatchObject({
      action: 'defer',
    });
  });
});

describe('holdingOf', () => {
  it('holds until the gate’s time, or a minute for a probe elsewhere or a cancellation seen after the claim', () => {
    expect(holdingOf({ action: 'hold', until: NOW + 5, reason: 'r' }, NOW)).toEqual({ until: NOW + 5, reason: 'r' });
    expect(holdingOf({ action: 'probe', scope: 'campaign' }, NOW)).toEqual({ until: NOW + 60_000, reason: 'another sender is probing' });
    expect(holdingOf({ action: 'cancel', reason: 'campaign cancelled' }, NOW)).toEqual({
      until: NOW + 60_000,
      reason: 'campaign cancelled',
    });
  });
});
