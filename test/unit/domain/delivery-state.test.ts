import { describe, expect, it } from 'vitest';
import { combineProgress, type DeliveryStatus, type ProgressReport, routeOf, statusApplies } from '../../../lib/domain/delivery-state.ts';
import { ALL_STATES, type JobState } from '../../../lib/domain/job-state.ts';

describe('delivery state machine', () => {
  const table: Array<[JobState, DeliveryStatus, boolean]> = [
    ['accepted', 'sent', true],
    ['sent', 'sent', false],
    ['delivered', 'sent', false],
    ['read', 'sent', false],
    ['accepted', 'delivered', true],
    ['sent', 'delivered', true],
    ['delivered', 'delivered', false],
    ['read', 'delivered', false],
    ['failed', 'delivered', true],
    ['dropped', 'delivered', true],
    ['deferred', 'delivered', true],
    ['sending', 'delivered', false],
    ['accepted', 'read', true],
    ['delivered', 'read', true],
    ['read', 'read', false],
    ['failed', 'read', true],
    ['accepted', 'failed', true],
    ['sent', 'failed', true],
    ['delivered', 'failed', false],
    ['read', 'failed', false],
    ['failed', 'failed', false],
    ['deferred', 'failed', false],
  ];
  it.each(table)('%s + %s moves: %s', (state, status, moves) => {
    expect(statusApplies(state, status)).toBe(moves);
  });

  it('only ever moves forward: no status takes a read job anywhere', () => {
    for (const status of ['sent', 'delivered', 'read', 'failed'] as const) expect(statusApplies('read', status)).toBe(false);
    expect(ALL_STATES.filter((s) => statusApplies(s, 'failed')).sort()).toEqual(['accepted', 'sent', 'unknown']);
  });

  it('tells the route from pricing.category', () => {
    expect(routeOf('marketing_lite')).toBe('marketing_messages_api');
    expect(routeOf('marketing')).toBe('cloud_api_fallback');
    expect(routeOf(undefined)).toBeUndefined();
  });
});

describe('combineProgress: one write for a batch of statuses of one message', () => {
  const report = (status: ProgressReport['status'], at: number, route?: ProgressReport['route']): ProgressReport => ({
    status,
    at,
    ...(route ? { route } : {}),
  });
  const sequences: ProgressReport['status'][][] = [];
  for (const first of ['sent', 'delivered', 'read'] as const) {
    sequences.push([first]);
    for (const second of ['sent', 'delivered', 'read'] as const) {
      sequences.push([first, second]);
      for (const third of ['sent', 'delivered', 'read'] as const) sequences.push([first, second, third]);
    }
  }

  it('ends every job in the state that applying the statuses one by one would', () => {
    for (const current of ALL_STATES) {
      for (const sequence of sequences) {
        const oneByOne = sequence.reduce<JobState>((state, status) => (statusApplies(state, status) ? status : state), current);
        const change = combineProgress(sequence.map((status, i) => report(status, i * 1000)))!;
        const combined = statusApplies(current, change.state) ? change.state : current;
        expect(combined, `${current} + ${sequence.join(', ')}`).toBe(oneByOne);
      }
    }
  });

  it('keeps the first time of each status; a read without a delivered dates the delivery', () => {
    expect(combineProgress([report('read', 3_000), report('sent', 1_000), report('read', 4_000)])).toEqual({
      state: 'read',
      sentAt: 1_000,
      deliveredAt: 3_000,
      readAt: 3_000,
    });
    expect(combineProgress([report('sent', 1_000), report('delivered', 2_000, 'marketing_messages_api'), report('read', 5_000)])).toEqual({
      state: 'read',
      sentAt: 1_000,
      deliveredAt: 2_000,
      readAt: 5_000,
      route: 'marketing_messages_api',
    });
    expect(combineProgress([report('sent', 1_000)])).toEqual({ state: 'sent', sentAt: 1_000 });
    expect(combineProgress([])).toBeUndefined();
  });
});
