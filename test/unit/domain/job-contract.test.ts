import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sendJobJsonSchema } from '../../../lib/domain/job-contract.ts';
import { SANCTIONED_COUNTRIES } from '../../../lib/domain/phone.ts';
import { validateJobBody } from '../../../lib/domain/validate-job.ts';

const policy = { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] };
const _validate = (value: unknown) => validateJobBody(typeof value === 'string' ? value : JSON.stringify(value), policy);

describe('published JSON Schema', () => {
  it('is up to date with the zod contract (run `npm run schema`)', () => {
    const published = JSON.parse(readFileSync(new URL('../../../schemas/send-job.v1.json', import.meta.url), 'utf8'));
    expect(published).toEqual(sendJobJsonSchema());
  });
});
