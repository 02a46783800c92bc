import { describe, expect, it } from 'vitest';
import { rateChart, summarizeSeconds } from '../src/rate-chart.ts';
import { numberFigures, pacingFigures } from '../src/run-result.ts';
import { perSecondCounts } from '../src/stats.ts';

describe('the per-second timeline', () => {
  it('counts the sends of each whole second of the steady window', () => {
    expect(perSecondCounts([1_000, 1_500, 2_100, 2_999, 3_000, 4_200], 1_000, 3_600)).toEqual([2, 2]);
  });

  it('names the worst seconds and counts those under 90 % of the ceiling', () => {
    const summary = summarizeSeconds([77, 77, 40, 76, 71, 77], 80, 2);
    expect(summary).toEqual({
      seconds: 6,
      under90: 2,
      worst: [
        { second: 2, sends: 40 },
        { second: 4, sends: 71 },
      ],
      median: 76,
    });
  });

  it('draws one column per second against the ceiling, a gap as a short column', () => {
    const chart = rateChart([80, 40, 0], 80, { rows: 2 });
    expect(chart.slice(0, 2)).toEqual(['100 % ┤█  ', ' 50 % ┤██ ']);
    expect(chart[3]).toContain('one column per second');
    expect(
      rateChart(
        Array.from({ length: 300 }, () => 80),
        80,
        { rows: 1, maxColumns: 100 },
      )[0],
    ).toBe(`100 % ┤${'█'.repeat(100)}`);
  });
});

describe('the pacing lines', () => {
  it('give the hand-over and lead distributions and the idle spells', () => {
    const figures = pacingFigures([
      { leadMs: 50, idleMs: 300 },
      { leadMs: 1_300, handOverMs: 700 },
      { leadMs: 900, handOverMs: 1_100 },
    ]);
    expect(figures).toEqual({
      invocations: 3,
      handOverMs: { n: 2, p50: 700, p90: 1_100, p99: 1_100, max: 1_100 },
      leadMs: { n: 3, p50: 900, p90: 1_300, p99: 1_300, max: 1_300, min: 50 },
      idle: { count: 1, totalMs: 300, maxMs: 300 },
    });
  });
});

describe('the figures of each phone number', () => {
  it("gives each number its rate, its 130429s and its campaigns' shares of its steady window", () => {
    const accepted: Array<[string, number, string]> = [];
    for (let i = 0; i < 100; i++) accepted.push([`a${i}`, i * 20, '1'], [`b${i}`, i * 20 + 10, '2'], [`c${i}`, i * 20 + 5, '2']);
    const campaignOf = new Map(
      accepted.map(([digits]) => [digits, digits.startsWith('a') ? 'solo' : digits.startsWith('b') ? 'shared-b' : 'shared-c']),
    );
    const figures = numberFigures(
      {
        accepted,
        byNumber: { '1': { accepted: 100, '130429': 1 }, '2': { accepted: 200 } },
        stats: {},
        webhooks: {},
        acceptedRecipients: 300,
        perSecond: { start: 0, outcomes: [] },
      } as never,
      campaignOf,
      50,
    );
    expect(figures.map((f) => [f.phoneNumberId, f.accepted, f.throttled, f.apiCalls])).toEqual([
      ['1', 100, 1, 101],
      ['2', 200, 0, 200],
    ]);
    expect(figures[0]!.ofCeiling).toBeCloseTo(1, 1);
    expect(figures[1]!.campaigns.map((c) => [c.campaignId, c.accepted])).toEqual([
      ['shared-b', 100],
      ['shared-c', 100],
    ]);
    for (const campaign of figures[1]!.campaigns) expect(campaign.shareInSteadyWindow).toBeCloseTo(0.5, 1);
  });
});
