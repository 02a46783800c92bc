import { describe, expect, it } from 'vitest';
import { gateFor, nextProbeInterval } from '../../../lib/domain/breaker.ts';

describe('breaker gate', () => {
  const now = 1_000_000;
  const hold = 900_000;
  it('sends when nothing is stopped', () => expect(gateFor({}, now, hold)).toEqual({ action: 'send' }));
  it('cancels a cancelled campaign', () => expect(gateFor({ campaign: { status: 'CANCELLED' } }, now, hold).action).toBe('cancel'));
  it('holds an operator pause without probing', () =>
    expect(gateFor({ campaign: { status: 'PAUSED', pausedBy: 'operator', nextProbeAt: 0 } }, now, hold)).toMatchObject({
      action: 'hold',
      until: now + hold,
    }));
  it('holds until the probe is due, then probes', () => {
    expect(gateFor({ phone: { state: 'open', nextProbeAt: now + 5_000, reasonCode: 190 } }, now, hold)).toMatchObject({
      action: 'hold',
      until: now + 5_000,
    });
    expect(gateFor({ phone: { state: 'open', nextProbeAt: now } }, now, hold)).toEqual({ action: 'probe', scope: 'phone' });
    expect(gateFor({ campaign: { status: 'PAUSED', pausedBy: 'template_error', nextProbeAt: now - 1 } }, now, hold)).toEqual({
      action: 'probe',
      scope: 'campaign',
    });
  });
  it('resumes when an operator closes the breaker', () =>
    expect(gateFor({ phone: { state: 'closed', nextProbeAt: now }, campaign: { status: 'RUNNING' } }, now, hold)).toEqual({
      action: 'send',
    }));
  it('holds every job while all sending is stopped, without probing, and sends once it runs again', () => {
    const due = { phone: { state: 'open' as const, nextProbeAt: now }, campaign: { status: 'RUNNING' as const } };
    expect(gateFor({ ...due, fleet: { state: 'stopped' } }, now, hold)).toEqual({
      action: 'hold',
      until: now + hold,
      reason: 'all sending stopped by an operator',
    });
    expect(gateFor({ fleet: { state: 'running' } }, now, hold)).toEqual({ action: 'send' });
    expect(gateFor({ ...due, fleet: { state: 'running' } }, now, hold)).toEqual({ action: 'probe', scope: 'phone' });
  });
  it('still cancels a cancelled campaign while all sending is stopped', () =>
    expect(gateFor({ fleet: { state: 'stopped' }, campaign: { status: 'CANCELLED' } }, now, hold).action).toBe('cancel'));
  it('backs probes off from 1 to 30 minutes', () => {
    expect([undefined, 60, 120, 960, 1_800].map(nextProbeInterval)).toEqual([60, 120, 240, 1_800, 1_800]);
  });
});
