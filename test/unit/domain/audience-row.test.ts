import { describe, expect, it } from 'vitest';
import { jobFromRow, type RowContext } from '../../../lib/domain/audience-row.ts';
import { type CampaignInput, campaignSchema } from '../../../lib/domain/campaign-contract.ts';
import { SANCTIONED_COUNTRIES } from '../../../lib/domain/phone.ts';

const LAUNCH = Date.parse('2026-12-11T09:00:00Z');
const contextFor = (overrides: Partial<CampaignInput> = {}): RowContext => ({
  campaign: campaignSchema.parse({
    schemaVersion: 1,
    campaignId: 'autumn-2026',
    phoneNumberId: '100000000000001',
    template: {
      name: 'autumn_sale',
      language: 'de_DE',
      header: { column: 'first_name' },
      body: [{ column: 'first_name' }, { value: '20 %' }],
      buttons: [
        { index: 0, subType: 'url', source: { column: 'coupon' } },
        { index: 1, subType: 'quick_reply', source: { value: 'STOP_PROMOS' } },
      ],
    },
    audience: { bucket: 'acme-audiences', key: 'a.csv', format: 'csv' },
    launch: { at: '2026-12-11T09:00:00Z' },
    callbackData: '{campaignId}:{row}:{column:crm_id}',
    ...overrides,
  }),
  launchedAt: LAUNCH,
  validitySeconds: 86_400,
  policy: { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] },
});

const row = { phone: '+49 151 1234 5678', first_name: ' Jasper ', coupon: 'autumn?c=abc', crm_id: 42 };

describe('jobFromRow', () => {
  it('fills every mapped parameter from the row or its fixed value, in Meta’s template format', () => {
    const outcome = jobFromRow(row, 7, contextFor());
    expect(outcome).toMatchObject({ ok: true });
    if (!outcome.ok) return;
    expect(outcome.job).toMatchObject({
      schemaVersion: 1,
      campaignId: 'autumn-2026',
      recipient: '+4915112345678',
      recipientCountry: 'DE',
      phoneNumberId: '100000000000001',
      validitySeconds: 86_400,
      createdAt: '2026-12-11T09:00:00.000Z',
      callbackData: 'autumn-2026:7:42',
    });
    expect(outcome.job.template).toEqual({
      name: 'autumn_sale',
      language: { code: 'de_DE' },
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'Jasper' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Jasper' },
            { type: 'text', text: '20 %' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'autumn?c=abc' }] },
        { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'STOP_PROMOS' }] },
      ],
    });
  });

  it('names body parameters for a template with named parameters', () => {
    const outcome = jobFromRow(
      row,
      1,
      contextFor({ template: { name: 'autumn_sale', language: 'en_US', body: { first_name: { column: 'first_name' } } } }),
    );
    expect(outcome.ok && outcome.job.template.components).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: 'Jasper', parameter_name: 'first_name' }] },
    ]);
  });

  it('rejects a row with an empty or missing mapped column, naming the column and the row', () => {
    expect(jobFromRow({ ...row, coupon: '  ' }, 12, contextFor())).toEqual({
      ok: false,
      row: 12,
      rejection: { reason: 'schema_violation', detail: 'column coupon is empty or missing', campaignId: 'autumn-2026' },
    });
    expect(jobFromRow({ ...row, phone: undefined }, 3, contextFor())).toMatchObject({
      ok: false,
      rejection: { detail: 'column phone is empty or missing' },
    });
    expect(jobFromRow({ ...row, crm_id: null }, 4, contextFor())).toMatchObject({
      ok: false,
      rejection: { detail: 'column crm_id is empty or missing' },
    });
  });

  it('rejects an invalid or restricted recipient as the send function would, without the number in the reason', () => {
    const invalid = jobFromRow({ ...row, phone: '12345' }, 5, contextFor());
    expect(invalid).toMatchObject({ ok: false, row: 5, rejection: { reason: 'invalid_recipient' } });
    const restricted = jobFromRow({ ...row, phone: '+53 5 1234567' }, 6, contextFor());
    expect(restricted).toMatchObject({ ok: false, row: 6, rejection: { reason: 'restricted_recipient' } });
    expect(JSON.stringify([invalid, restricted])).not.toMatch(/51234567|12345"/);
  });

  it('rejects a row whose filled callback data is longer than Meta takes', () => {
    const outcome = jobFromRow({ ...row, crm_id: 'x'.repeat(600) }, 9, contextFor());
    expect(outcome).toMatchObject({
      ok: false,
      rejection: { reason: 'schema_violation', detail: expect.stringContaining('callbackData') },
    });
  });
});
