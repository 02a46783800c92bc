import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLASSIFIED_CODES, classifyMetaError, type ErrorKind } from '../../../lib/domain/meta-errors.ts';

/** Meta's error codes, row by row: the code and what a sender must do with it (docs/error-codes.md). */
const EXPECTED: Array<[number, ErrorKind, number?]> = [
  [0, 'stop_phone_number'],
  [190, 'stop_phone_number'],
  [3, 'stop_phone_number'],
  [10, 'stop_phone_number'],
  [200, 'stop_phone_number'],
  [250, 'stop_phone_number'],
  [299, 'stop_phone_number'],
  [368, 'stop_phone_number'],
  [130497, 'stop_phone_number'],
  [131031, 'stop_phone_number'],
  [131042, 'stop_phone_number'],
  [133010, 'stop_phone_number'],
  [134102, 'pause_campaign'],
  [1, 'retry', 60],
  [2, 'retry', 300],
  [131000, 'retry', 60],
  [131016, 'retry', 60],
  [133004, 'retry', 60],
  [4, 'retry', 300],
  [80007, 'retry', 300],
  [130429, 'throttled', 2],
  [131056, 'retry', 4],
  [131057, 'retry', 60],
  [134101, 'retry', 600],
  [131009, 'permanent'],
  [100, 'permanent'],
  [131008, 'permanent'],
  [131051, 'permanent'],
  [131055, 'permanent'],
  [134100, 'permanent'],
  [132000, 'permanent'],
  [132001, 'permanent'],
  [132005, 'permanent'],
  [132007, 'permanent'],
  [132012, 'permanent'],
  [132018, 'permanent'],
  [132015, 'pause_campaign'],
  [132016, 'pause_campaign'],
  [131021, 'permanent'],
  [131026, 'permanent'],
  [131049, 'per_user_limit'],
  [131050, 'opt_out'],
  [130472, 'permanent'],
  [131047, 'permanent'],
];

describe('classifyMetaError', () => {
  it.each(EXPECTED)('code %i is %s', (code, kind, waitSeconds) => {
    const cls = classifyMetaError(code);
    expect(cls.kind).toBe(kind);
    expect(cls.known).toBe(true);
    if (waitSeconds !== undefined) expect('waitSeconds' in cls && cls.waitSeconds).toBe(waitSeconds);
  });

  // docs/error-codes.md is the operators' table of every code; it must say what this module does, row by row.
  const errorCodesDoc = readFileSync(new URL('../../../docs/error-codes.md', import.meta.url), 'utf8');
  const documentedRows = [...errorCodesDoc.matchAll(/^\| (\d+|\d+–\d+) \| `(\w+)` \| ([^|]+) \| ([^|]+) \|/gm)].map((row) => ({
    codes: row[1]!,
    kind: row[2]!,
    wait: row[3]!.trim(),
    meaning: row[4]!.trim(),
  }));
  const waitText = (cls: ReturnType<typeof classifyMetaError>) =>
    'waitSeconds' in cls ? ('backoff' in cls && cls.backoff === 'exponential4' ? '4ⁿ s' : `${cls.waitSeconds} s`) : '—';

  it('agrees with the table in docs/error-codes.md, both ways', () => {
    expect(documentedRows.length).toBeGreaterThan(40);
    for (const row of documentedRows) {
      const [first, last] = row.codes.split('–').map(Number);
      for (const code of last === undefined ? [first!] : [first!, last]) {
        const cls = classifyMetaError(code);
        const actual = { code, known: cls.known, kind: cls.kind, wait: waitText(cls), meaning: cls.meaning };
        expect(actual).toEqual({ code, known: true, kind: row.kind, wait: row.wait, meaning: row.meaning });
      }
    }
    const singleCodes = documentedRows.filter((row) => !row.codes.includes('–')).map((row) => Number(row.codes));
    expect(singleCodes.length).toBe(new Set(singleCodes).size);
    expect(new Set(singleCodes)).toEqual(new Set(CLASSIFIED_CODES));
  });

  it('fails unknown codes without looping, and says they are unclassified', () => {
    const cls = classifyMetaError(987654);
    expect(cls).toMatchObject({ kind: 'permanent', known: false });
  });

  it('retries 131009 only when configured', () => {
    expect(classifyMetaError(131009, { retryInvalidParameterAfterSeconds: 600 })).toMatchObject({ kind: 'retry', waitSeconds: 600 });
  });
});
