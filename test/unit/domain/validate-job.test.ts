import { describe, expect, it } from 'vitest';
import { SANCTIONED_COUNTRIES } from '../../../lib/domain/phone.ts';
import { validateJobBody } from '../../../lib/domain/validate-job.ts';
import { aJob } from '../../helpers/factories.ts';

const policy = { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] };
const validate = (value: unknown) => validateJobBody(typeof value === 'string' ? value : JSON.stringify(value), policy);

describe('validateJobBody', () => {
  it('accepts a valid job and normalises the recipient', () => {
    const result = validate(aJob({ recipient: '49 151 1234 5678' }));
    expect(result).toMatchObject({ ok: true, job: { recipient: '+4915112345678', recipientCountry: 'DE', campaignId: 'autumn-2026' } });
  });

  it.each([
    ['not JSON', '{"schemaVersion":1,', 'malformed_json'],
    ['an array', '[]', 'malformed_json'],
    ['a string', '"job"', 'malformed_json'],
    ['null', 'null', 'malformed_json'],
    ['empty body', '', 'malformed_json'],
    ['no version', { ...aJob(), schemaVersion: undefined }, 'unsupported_schema_version'],
    ['a future version', aJob({ schemaVersion: 2 as never }), 'unsupported_schema_version'],
    ['a numeric campaign id', aJob({ campaignId: 42 as never }), 'schema_violation'],
    ['an empty campaign id', aJob({ campaignId: '' }), 'schema_violation'],
    ['a campaign id with spaces', aJob({ campaignId: 'autumn sale' }), 'schema_violation'],
    ['no template', { ...aJob(), template: undefined }, 'schema_violation'],
    ['an upper-case template name', aJob({ template: { name: 'Autumn', language: { code: 'en_US' } } }), 'schema_violation'],
    ['a bad language code', aJob({ template: { name: 'autumn_sale', language: { code: 'english' } } }), 'schema_violation'],
    [
      'an unknown template field',
      aJob({ template: { name: 'autumn_sale', language: { code: 'en_US' }, namespace: 'x' } as never }),
      'schema_violation',
    ],
    [
      'an unknown parameter type',
      aJob({
        template: {
          name: 'a',
          language: { code: 'en' },
          components: [{ type: 'body', parameters: [{ type: 'emoji', emoji: 'x' }] }],
        } as never,
      }),
      'schema_violation',
    ],
    [
      'a http media link',
      aJob({
        template: {
          name: 'a',
          language: { code: 'en' },
          components: [{ type: 'header', parameters: [{ type: 'image', image: { link: 'http://x.test/a.png' } }] }],
        } as never,
      }),
      'schema_violation',
    ],
    ['an unknown top-level field', aJob({ priority: 'high' }), 'schema_violation'],
    ['a validity under 12 h', aJob({ validitySeconds: 3_600 }), 'schema_violation'],
    ['a validity over 30 d', aJob({ validitySeconds: 2_592_001 }), 'schema_violation'],
    ['a fractional validity', aJob({ validitySeconds: 50_000.5 }), 'schema_violation'],
    ['a bad createdAt', aJob({ createdAt: 'yesterday' }), 'schema_violation'],
    ['a non-numeric phone number id', aJob({ phoneNumberId: 'abc' }), 'schema_violation'],
    ['a numeric recipient', aJob({ recipient: 4915112345678 as never }), 'schema_violation'],
    ['an impossible number', aJob({ recipient: '+15551234567' }), 'invalid_recipient'],
    ['letters in the number', aJob({ recipient: '+49151CALLME' }), 'invalid_recipient'],
    ['a too short number', aJob({ recipient: '+4915' }), 'invalid_recipient'],
    ['a national number', aJob({ recipient: '015112345678' }), 'invalid_recipient'],
    ['a Cuban number', aJob({ recipient: '+5351234567' }), 'restricted_recipient'],
    ['a North Korean number', aJob({ recipient: '+8501921234567' }), 'restricted_recipient'],
  ])('rejects %s as %s', (_name, value, reason) => {
    const result = validate(value);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.rejection.reason).toBe(reason);
      expect(result.rejection.detail.length).toBeGreaterThan(5);
    }
  });

  it('names the offending field and keeps the campaign for counting', () => {
    const result = validate(aJob({ validitySeconds: 10 }));
    expect(result).toMatchObject({
      ok: false,
      rejection: { campaignId: 'autumn-2026', detail: expect.stringContaining('validitySeconds') },
    });
  });

  it('never puts the phone number in the rejection detail', () => {
    const result = validate(aJob({ recipient: '+5351234567' }));
    expect(JSON.stringify(result)).not.toContain('51234567');
  });
});
