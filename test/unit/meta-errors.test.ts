import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLASSIFIED_CODES, classifyMetaError, type ErrorKind } from '../../lib/domain/meta-errors.ts';

/** mm-api.md §3, row by row: the code and what a sender must do with it. */
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

  // The design docs sit beside the repository on the team's machines and in CI; a lone clone has only the table above.
  const apiDoc = new URL('../../../shared/docs/mm-api.md', import.meta.url);
  it.runIf(existsSync(apiDoc))('covers every code that mm-api.md lists', () => {
    const doc = readFileSync(apiDoc, 'utf8');
    const table = doc.slice(doc.indexOf('| Code |'), doc.indexOf('### 131049 in detail'));
    const documented = [...table.matchAll(/^\| ([^|]+) \|/gm)]
      .flatMap((row) => row[1]!.replaceAll('*', '').split(','))
      .map((cell) => cell.trim())
      .filter((cell) => /^\d+$/.test(cell))
      .map(Number);
    expect(documented.length).toBeGreaterThan(40);
    for (const code of documented) expect(classifyMetaError(code).known, `code ${code}`).toBe(true);
    expect(new Set(CLASSIFIED_CODES)).toEqual(new Set(documented.filter((c) => c < 200 || c > 299)));
  });

  it('fails unknown codes without looping, and says they are unclassified', () => {
    const cls = classifyMetaError(987654);
    expect(cls).toMatchObject({ kind: 'permanent', known: false });
  });

  it('retries 131009 only when configured', () => {
    expect(classifyMetaError(131009, { retryInvalidParameterAfterSeconds: 600 })).toMatchObject({ kind: 'retry', waitSeconds: 600 });
  });
});
