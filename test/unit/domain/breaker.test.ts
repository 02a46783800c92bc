import { describe, expect, it } from 'vitest';
import { gateFor, nextProbeInterval } from '../../../lib/domain/breaker.ts';

describe('breaker gate', () => {
  const now = 1_000_000;
  const hold = 900_000;
  it('sends when nothing is stopped', () => expect(gateFor(undefined, undefined, now, hold)).toEqual({ action: 'send' }));
  it('cancels a cancelled campaign', () => expect(gateFor(undefined, { status: 'CANCELLED' }, now, hold).action).toBe('cancel'));
  it('holds an operator pause without probing', () =>
    expect(gateFor(undefined, { status: 'PAUSED', pausedBy: 'operator', nextProbeAt: 0 }, now, hold)).toMatchObject({
      action: 'hold',
      until: now + hold,
    }));
  it('holds until the probe is due, then probes', () => {
    expect(gateFor({ state: 'open', nextProbeAt: now + 5_000, reasonCode: 190 }, undefined, now, hold)).toMatchObject({
      action: 'hold',
      until: now + 5_000,
    });
    expect(gateFor({ state: 'open', nextProbeAt: now }, undefined, now, hold)).toEqual({ action: 'probe', scope: 'phone' });
    expect(gateFor(undefined, { status: 'PAUSED', pausedBy: 'template_error', nextProbeAt: now - 1 }, now, hold)).toEqual({
      action: 'probe',
      scope: 'campaign',
    });
  });
  it('resumes when an operator closes the breaker', () =>
    expect(gateFor({ state: 'closed', nextProbeAt: now }, { status: 'RUNNING' }, now, hold)).toEqual({ action: 'send' }));
  it('backs probes off from 1 to 30 minutes', () => {
    expect([undefined, 60, 120, 960, 1_800].map(nextProbeInterval)).toEqual([60, 120, 240, 1_800, 1_800]);
  });
});
