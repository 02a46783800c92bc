import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKnownErrorCode, KNOWN_ERROR_CODES, metaErrorDefinition } from '../src/meta-errors.ts';
import { errorAnswer } from '../src/responses.ts';
import { type Simulator, startSimulator } from '../src/server.ts';
import { marketingBody, PHONE_ID, send } from './helpers/sim-client.ts';

/**
 * Every code Meta documents for these endpoints, as of this writing (200 stands for 200–299):
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 */
const DOCUMENTED_CODES = [
  0, 190, 3, 10, 200, 299, 368, 130497, 131031, 131042, 133010, 134102, 1, 2, 131000, 131016, 133004, 4, 80007, 130429, 131056, 131057,
  134101, 131009, 100, 131008, 131051, 131055, 134100, 132000, 132001, 132005, 132007, 132012, 132018, 132015, 132016, 131021, 131026,
  131049, 131050, 130472, 131047,
];

/** One row of the README's error table. */
interface ReadmeErrorRow {
  /** The first code of the cell: "200–299" is listed as 200, as in the code's table. */
  code: number;
  title: string;
  httpStatus: number;
  channel: string;
}

/** The rows of the table under the README's "## Error codes" heading. */
function readmeErrorRows(): ReadmeErrorRow[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n## Error codes');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return section
    .split('\n')
    .filter((line) => /^\|\s*\d/.test(line))
    .map((line) => {
      const [code = '', title = '', httpStatus = '', channel = ''] = line
        .split('|')
        .slice(1)
        .map((cell) => cell.trim());
      return { code: Number(/^\d+/.exec(code)?.[0]), title, httpStatus: Number(httpStatus), channel };
    });
}

const EXPECTED_STATUS: Record<number, number> = { 0: 401, 190: 401, 3: 403, 10: 403, 200: 403, 299: 403, 134102: 500 };

describe('meta-errors table', () => {
  it.each(DOCUMENTED_CODES)('defines code %i with a title, details and the documented HTTP status', (code) => {
    expect(isKnownErrorCode(code)).toBe(true);
    const definition = metaErrorDefinition(code);
    expect(definition?.code).toBe(code);
    expect(definition?.title.length).toBeGreaterThan(3);
    expect(definition?.details.length).toBeGreaterThan(3);
    expect(definition?.httpStatus).toBe(EXPECTED_STATUS[code] ?? 400);
  });

  it('knows no codes beyond the documented ones, and rejects others', () => {
    expect(KNOWN_ERROR_CODES.filter((code) => !DOCUMENTED_CODES.includes(code))).toEqual([]);
    expect(isKnownErrorCode(131048)).toBe(false);
    expect(isKnownErrorCode(300)).toBe(false);
    expect(metaErrorDefinition(99)).toBeUndefined();
  });

  it('marks the codes Meta documents as webhook-only', () => {
    for (const code of [131026, 131049, 131050, 130472]) expect(metaErrorDefinition(code)?.channel).toBe('async');
  });

  it('builds Meta’s error body', () => {
    const answer = errorAnswer(130429);
    expect(answer).toEqual({
      status: 400,
      body: {
        error: {
          message: '(#130429) Rate limit hit',
          type: 'OAuthException',
          code: 130429,
          error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
          fbtrace_id: expect.stringMatching(/^[\w-]{23}$/),
        },
      },
    });
    expect(Object.keys(answer.body.error)).toEqual(['message', 'type', 'code', 'error_data', 'fbtrace_id']);
  });
});

describe('the README’s error table', () => {
  const rows = readmeErrorRows();

  it('lists every code the simulator knows, and no other', () => {
    expect(rows.length).toBeGreaterThan(40);
    expect(rows.map((row) => row.code).sort((a, b) => a - b)).toEqual(KNOWN_ERROR_CODES);
  });

  it('gives each code the title, HTTP status and channel the simulator answers with', () => {
    const mismatches = rows.filter((row) => {
      const definition = metaErrorDefinition(row.code);
      if (!definition) return true;
      return !row.title.startsWith(definition.title) || row.httpStatus !== definition.httpStatus || row.channel !== definition.channel;
    });
    expect(mismatches).toEqual([]);
  });
});

describe('simulator: every documented code can be injected by a rule', () => {
  let sim: Simulator;
  const recipientFor = (index: number): string => `+4915200${String(index).padStart(6, '0')}`;

  beforeAll(async () => {
    sim = await startSimulator({
      phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 1000 }],
      rules: DOCUMENTED_CODES.map((code, index) => ({ recipients: [recipientFor(index)], error: code })),
    });
  });
  afterAll(() => sim.stop());

  it.each(DOCUMENTED_CODES.map((code, index) => [code, index]))('answers code %i in Meta’s shape', async (code, index) => {
    const result = await send(sim, marketingBody(recipientFor(index)));
    const definition = metaErrorDefinition(code);
    expect(result.status).toBe(definition?.httpStatus);
    expect(result.json.error?.code).toBe(code);
    if (code === 190) {
      expect(result.json.error?.message).toBe(definition?.title);
    } else {
      expect(result.json.error?.message).toBe(`(#${code}) ${definition?.title}`);
      expect(result.json.error?.error_data).toEqual({ messaging_product: 'whatsapp', details: definition?.details });
    }
  });
});
