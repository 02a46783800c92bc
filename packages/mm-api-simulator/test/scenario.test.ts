import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario, ScenarioError } from '../src/scenario.ts';
import { startSimulator } from '../src/server.ts';

const EXAMPLE = fileURLToPath(new URL('../examples/scenario.json', import.meta.url));

function issuesOf(input: unknown): readonly string[] {
  try {
    parseScenario(input);
  } catch (error) {
    if (error instanceof ScenarioError) return error.issues;
    throw error;
  }
  throw new Error('expected the scenario to be rejected');
}

function writeTemp(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sim-scenario-')), name);
  writeFileSync(path, text);
  return path;
}

describe('scenario schema', () => {
  it('fills Meta-like defaults into an empty scenario', () => {
    const scenario = parseScenario({});
    expect(scenario).toMatchObject({
      tokens: ['local-dev-token'],
      phoneNumbers: [{ id: '100000000000001', ratePerSecond: 80, registered: true }],
      latencyMs: 0,
      pairRateLimit: true,
      pairBurst: 45,
      pairIntervalSeconds: 6,
      rules: [],
    });
    expect(scenario.templates.map((template) => [template.name, template.category])).toEqual([
      ['autumn_sale', 'MARKETING'],
      ['order_update', 'UTILITY'],
    ]);
  });

  it.each([
    ['an unknown top-level field', { tokenz: ['x'] }, 'tokenz: unknown field'],
    ['an unknown rule field', { rules: [{ eror: 131000 }] }, 'rules[0].eror: unknown field'],
    ['an error code Meta does not document', { rules: [{}, { error: 12345 }] }, 'rules[1].error: 12345 is not an error code'],
    ['a non-integer code', { rules: [{ error: '131000' }] }, 'rules[0].error: Invalid input: expected number'],
    ['a fraction above 1', { rules: [{ fraction: 1.5 }] }, 'rules[0].fraction:'],
    ['times of 0', { rules: [{ times: 0 }] }, 'rules[0].times:'],
    ['a number that is not E.164', { rules: [{ recipients: ['0151 1234'] }] }, 'rules[0].recipients[0]: must be an E.164 number'],
    ['a suffix with letters', { rules: [{ recipientSuffix: '1a' }] }, 'rules[0].recipientSuffix: must be digits'],
    ['two outcomes in one rule', { rules: [{ error: 131000, timeout: true }] }, 'rules[0].timeout: cannot be combined with error'],
    [
      'messageStatus with an error',
      { rules: [{ error: 131000, messageStatus: 'paused' }] },
      'rules[0].messageStatus: only applies to accepted sends',
    ],
    ['errorDetails without error', { rules: [{ errorDetails: 'x' }] }, 'rules[0].errorDetails: needs error'],
    ['an unknown async code', { rules: [{ async: { failWith: 42 } }] }, 'rules[0].async.failWith: 42 is not an error code'],
    [
      'a rule naming an unknown template',
      { rules: [{ template: 'winter_sale' }] },
      `rules[0].template: "winter_sale" is not one of the scenario's templates`,
    ],
    ['a latency that is neither ms nor a range', { latencyMs: 'slow' }, 'latencyMs: must be a number of milliseconds or'],
    ['an inverted latency range', { rules: [{ latencyMs: { min: 50, max: 10 } }] }, 'rules[0].latencyMs.max: min must not exceed max'],
    ['a bad category', { templates: [{ name: 'x', category: 'PROMO', languages: ['en_US'] }] }, 'templates[0].category:'],
    [
      'a marketing TTL outside 12 h to 30 days',
      { templates: [{ name: 'x', category: 'MARKETING', languages: ['en_US'], ttlSeconds: 60 }] },
      'templates[0].ttlSeconds: must be between 43200 and 2592000',
    ],
    ['a duplicate phone number id', { phoneNumbers: [{ id: '1' }, { id: '1' }] }, 'phoneNumbers[1].id: duplicate "1"'],
    ['a zero rate', { phoneNumbers: [{ id: '1', ratePerSecond: 0 }] }, 'phoneNumbers[0].ratePerSecond:'],
    ['no tokens', { tokens: [] }, 'tokens:'],
  ])('rejects %s, naming the field', (_label, input, expected) => {
    const issues = issuesOf(input);
    expect(issues.some((issue) => issue.startsWith(expected))).toBe(true);
  });

  it('reports every bad field at once', () => {
    expect(issuesOf({ rules: [{ error: 1 }, { fraction: -1, colour: 'red' }] })).toEqual([
      expect.stringMatching(/^rules\[1\]\.fraction:/),
      'rules[1].colour: unknown field',
    ]);
  });
});

describe('loadScenario', () => {
  it('loads the example scenario shipped with the package', () => {
    const example = loadScenario(EXAMPLE);
    expect(example.phoneNumbers).toEqual([expect.objectContaining({ id: '100000000000001', ratePerSecond: 80 })]);
    expect(example.templates.map((template) => [template.name, template.category])).toEqual([
      ['autumn_sale', 'MARKETING'],
      ['order_update', 'UTILITY'],
    ]);
    expect(example.webhooks).toMatchObject({ appSecret: 'example-app-secret' });
    expect(example.rules.map((rule) => rule.name)).toEqual(['flaky-twice', 'hangs-once', 'per-user-limit', 'ttl-drop']);
  });

  it('names the file and the field when a file is invalid', () => {
    const path = writeTemp('bad.json', JSON.stringify({ rules: [{ recipientSuffix: '13', error: 99999 }] }));
    expect(() => loadScenario(path)).toThrow(ScenarioError);
    expect(() => loadScenario(path)).toThrow(
      new RegExp(`Invalid scenario in ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\n  - rules\\[0\\]\\.error: 99999`),
    );
  });

  it('explains a file that is not JSON or does not exist', () => {
    expect(() => loadScenario(writeTemp('broken.json', '{ "rules": [ }'))).toThrow(/not valid JSON/);
    expect(() => loadScenario('/nonexistent/scenario.json')).toThrow(/cannot read the file/);
  });

  it('lets startSimulator refuse invalid options with the same errors', async () => {
    await expect(startSimulator({ rules: [{ fraction: 2 }] })).rejects.toThrow(/rules\[0\]\.fraction/);
  });
});
