import { describe, expect, it } from 'vitest';
import { SANCTIONED_COUNTRIES } from '../../lib/domain/phone.ts';
import { validateJobBody } from '../../lib/domain/validate-job.ts';
import { prepareJobs } from '../../lib/producer.ts';
import { aJob } from '../helpers/factories.ts';

const policy = { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] };
const _validate = (value: unknown) => validateJobBody(typeof value === 'string' ? value : JSON.stringify(value), policy);

describe('prepareJobs (producer helper)', () => {
  it('stamps createdAt, normalises recipients and reports invalid jobs by position', () => {
    const now = Date.parse('2026-11-26T10:00:00Z');
    const prepared = prepareJobs(
      [aJob({ recipient: '4915112345678' }), aJob({ recipient: 'nope' }), aJob({ createdAt: '2026-11-25T00:00:00Z' })],
      policy,
      now,
    );
    expect(prepared.rejected).toEqual([{ index: 1, rejection: expect.objectContaining({ reason: 'invalid_recipient' }) }]);
    expect(prepared.valid.map((v) => v.index)).toEqual([0, 2]);
    expect(JSON.parse(prepared.valid[0]!.body)).toMatchObject({ recipient: '+4915112345678', createdAt: '2026-11-26T10:00:00.000Z' });
    expect(JSON.parse(prepared.valid[1]!.body)).toMatchObject({ createdAt: '2026-11-25T00:00:00Z' });
    expect(JSON.parse(prepared.valid[0]!.body)).not.toHaveProperty('recipientCountry');
  });
});
