import { fileURLToPath } from 'node:url';
import { loadScenario, RuleEngine } from 'mm-api-simulator';
import { describe, expect, it } from 'vitest';

/** The scenario `npm start` runs the demo campaign against (local/run-campaign.ts). */
const DEMO = fileURLToPath(new URL('../../../local/scenarios/demo.json', import.meta.url));

describe('the demo scenario (local/scenarios/demo.json)', () => {
  it('loads the shipped demo scenario', () => {
    const demo = loadScenario(DEMO);
    expect(demo.phoneNumbers).toEqual([expect.objectContaining({ id: '100000000000001', ratePerSecond: 80 })]);
    expect(demo.templates).toEqual([
      expect.objectContaining({
        name: 'autumn_sale',
        category: 'MARKETING',
        languages: ['en_US', 'de_DE'],
        bodyParams: 1,
        ttlSeconds: 86_400,
      }),
      expect.objectContaining({ name: 'order_update', category: 'UTILITY' }),
    ]);
  });

  it('gives the demo’s advertised failure mix on generated numbers', () => {
    const demo = loadScenario(DEMO);
    const engine = new RuleEngine(demo.rules);
    const transientCodes = new Set([131000, 131016]);
    const recipients = 10_000;
    let everTransient = 0;
    let permanent = 0;
    let timeouts = 0;
    for (let i = 0; i < recipients; i += 1) {
      const recipientKey = `49151${String(1_000_000 + i)}`;
      let sawTransient = false;
      // A sender retrying up to 5 times, as a demo campaign would.
      for (let attempt = 0; attempt < 5; attempt += 1) {
        const rule = engine.decide({ phoneNumberId: '100000000000001', recipientKey, template: 'autumn_sale' })?.rule;
        if (rule?.timeout) timeouts += 1;
        const transient = rule?.timeout === true || rule?.reset === true || (rule?.error !== undefined && transientCodes.has(rule.error));
        if (transient) {
          sawTransient = true;
          continue;
        }
        if (rule?.error !== undefined) permanent += 1;
        break;
      }
      if (sawTransient) everTransient += 1;
    }
    expect(everTransient / recipients).toBeGreaterThan(0.006);
    expect(everTransient / recipients).toBeLessThan(0.016);
    expect(permanent / recipients).toBeGreaterThan(0.003);
    expect(permanent / recipients).toBeLessThan(0.008);
    expect(timeouts).toBeGreaterThan(5);
  });

  it('the demo scenario turns on webhooks, a short per-user cap, retryable and permanent 131049s, silent drops and the three opt-out channels', () => {
    const demo = loadScenario(DEMO);
    expect(demo.webhooks).toMatchObject({ appSecret: 'local-app-secret', readRate: 0.6, duplicateRate: 0.02, reorder: true });
    expect(demo.perUserMarketingCap).toMatchObject({ maxPerWindow: 1 });
    expect(demo.perUserMarketingCap?.windowSeconds).toBeLessThanOrEqual(10);
    expect(demo.rules.filter((rule) => rule.async?.failWith === 131049).map((rule) => [rule.name, rule.times])).toEqual([
      ['us-numbers-not-delivered', undefined],
      ['per-user-marketing-limit', 1],
      ['per-user-limit-every-time', undefined],
    ]);
    expect(demo.rules.filter((rule) => rule.drop).map((rule) => [rule.name, rule.fraction, rule.drop])).toEqual([
      ['dropped-silently', 0.005, { after: 'sent' }],
    ]);
    expect(demo.rules.flatMap((rule) => (rule.optOut ? [rule.optOut.via] : [])).sort()).toEqual([
      'keyword',
      'quick_reply',
      'user_preferences',
    ]);
  });
});
