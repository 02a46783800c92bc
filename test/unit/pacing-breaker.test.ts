import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { gateFor, nextProbeInterval } from '../../lib/domain/breaker.ts';
import { effectiveRate, grantedSlots, maxConcurrencyFor, slotTime } from '../../lib/domain/pacing.ts';

describe('pacing', () => {
  it('spreads the slots of a second evenly', () => {
    expect([0, 1, 79].map((slot) => slotTime(1_000, slot, 80))).toEqual([1_000_000, 1_000_012, 1_000_987]);
  });

  it('grants only the slots under the rate', () => {
    expect(grantedSlots(10, 10, 80)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(grantedSlots(85, 10, 80)).toEqual([75, 76, 77, 78, 79]);
    expect(grantedSlots(95, 10, 80)).toEqual([]);
  });

  it('paces 3 % under the rate, and at half that during a slowdown after 130429', () => {
    expect(effectiveRate(80, 2_000, 2_000)).toBe(77);
    expect(effectiveRate(1_000, undefined, 0)).toBe(970);
    expect(effectiveRate(80, 2_000, 1_000)).toBe(38);
    expect(effectiveRate(1, 2_000, 1_000)).toBe(1);
  });

  it('derives maximumConcurrency from the rate, the same way serverless.yml does', () => {
    const derived = createRequire(import.meta.url)('../../infra/derived-params.cjs') as { maxConcurrencyFor: (rate: number) => number };
    for (const rate of [1, 10, 80, 200, 500, 1_000]) expect(derived.maxConcurrencyFor(rate)).toBe(maxConcurrencyFor(rate));
    expect(maxConcurrencyFor(80)).toBe(6);
    expect(maxConcurrencyFor(1_000)).toBe(52);
    expect(maxConcurrencyFor(1)).toBe(3);
  });
});

describe('breaker gate', () => {
  const now = 1_000_000;
  const hold = 900_000;
  it('sends when nothing is stopped', () => expect(gateFor(undefined, undefined, now, hold)).toEqual({ action: 'send' }));
  it('cancels a cancelled campaign', () => expect(gateFor(undefined, { status: 'CANCELLED' }, now, hold).action).toBe('cancel'));
  it('holds an operator pause without probing', () =>
    expect(gateFor(undefined, { status: 'PAUSED', pausedBy: 'operator', nextProbeAt: 0 }, now, hold)).toMatchObject({ action: 'hold', until: now + hold }));
  it('holds until the probe is due, then probes', () => {
    expect(gateFor({ state: 'open', nextProbeAt: now + 5_000, reasonCode: 190 }, undefined, now, hold)).toMatchObject({ action: 'hold', until: now + 5_000 });
    expect(gateFor({ state: 'open', nextProbeAt: now }, undefined, now, hold)).toEqual({ action: 'probe', scope: 'phone' });
    expect(gateFor(undefined, { status: 'PAUSED', pausedBy: 'template_error', nextProbeAt: now - 1 }, now, hold)).toEqual({ action: 'probe', scope: 'campaign' });
  });
  it('resumes when an operator closes the breaker', () => expect(gateFor({ state: 'closed', nextProbeAt: now }, { status: 'RUNNING' }, now, hold)).toEqual({ action: 'send' }));
  it('backs probes off from 1 to 30 minutes', () => {
    expect([undefined, 60, 120, 960, 1_800].map(nextProbeInterval)).toEqual([60, 120, 240, 1_800, 1_800]);
  });
});
