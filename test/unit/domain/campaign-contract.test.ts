import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CampaignInput, campaignJsonSchema, campaignSchema, requiredColumns } from '../../../lib/domain/campaign-contract.ts';

const aCampaign = (overrides: Partial<CampaignInput> = {}): CampaignInput => ({
  schemaVersion: 1,
  campaignId: 'autumn-2026',
  phoneNumberId: '100000000000001',
  template: { name: 'autumn_sale', language: 'de_DE', body: [{ column: 'first_name' }, { value: '20 %' }] },
  audience: { bucket: 'acme-audiences', key: 'autumn/2026.csv', format: 'csv' },
  launch: { localTime: '2026-12-11T10:00', timeZone: 'Europe/Berlin' },
  ...overrides,
});

const issuesOf = (input: unknown) => {
  const parsed = campaignSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('campaignSchema', () => {
  it('accepts a campaign with a local launch time, positional parameters and a send window', () => {
    const parsed = campaignSchema.parse(aCampaign({ sendWindow: { from: '09:00', until: '21:00', defaultTimeZone: 'Europe/Berlin' } }));
    expect(parsed.audience.recipientColumn).toBe('phone');
    expect(parsed.launch).toEqual({ localTime: '2026-12-11T10:00', timeZone: 'Europe/Berlin' });
  });

  it('accepts an instant, named parameters, buttons and a window across midnight', () => {
    const named = aCampaign({
      launch: { at: '2026-12-11T09:00:00Z' },
      template: {
        name: 'autumn_sale',
        language: 'en_US',
        body: { first_name: { column: 'name' }, discount: { value: '20 %' } },
        buttons: [{ index: 0, subType: 'url', source: { column: 'coupon' } }],
      },
      sendWindow: { from: '22:00', until: '06:00', defaultTimeZone: 'Asia/Kathmandu' },
    });
    expect(issuesOf(named)).toEqual([]);
  });

  it('names every bad field of a campaign file in one go', () => {
    const issues = issuesOf({
      ...aCampaign(),
      phoneNumberId: 'main',
      template: { name: 'Autumn Sale', language: 'german' },
      audience: { bucket: 'Bad_Bucket', key: '', format: 'xlsx' },
      launch: { localTime: '11.12.2026 10:00', timeZone: 'Mars/Olympus' },
      validitySeconds: 60,
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^phoneNumberId: /),
        expect.stringMatching(/^template\.name: /),
        expect.stringMatching(/^template\.language: /),
        expect.stringMatching(/^audience\.bucket: /),
        expect.stringMatching(/^audience\.key: /),
        expect.stringMatching(/^audience\.format: /),
        expect.stringMatching(/^validitySeconds: /),
      ]),
    );
    expect(issues.some((issue) => issue.startsWith('launch'))).toBe(true);
  });

  it('refuses an unknown field, a window that is empty and a callback pattern with an unknown placeholder', () => {
    expect(issuesOf({ ...aCampaign(), audiance: {} })).toEqual([expect.stringMatching(/audiance/)]);
    expect(issuesOf(aCampaign({ sendWindow: { from: '09:00', until: '09:00', defaultTimeZone: 'UTC' } }))).toEqual([
      'sendWindow: from and until must differ (an empty or full-day window)',
    ]);
    expect(issuesOf(aCampaign({ callbackData: '{campaign}:{row}' }))).toEqual([expect.stringMatching(/^callbackData: /)]);
    expect(issuesOf(aCampaign({ callbackData: '{campaignId}:{row}:{column:customer_id}' }))).toEqual([]);
  });

  it('refuses a local launch time that the clocks skip, naming the first valid time', () => {
    const issues = issuesOf(aCampaign({ launch: { localTime: '2026-03-29T02:30', timeZone: 'Europe/Berlin' } }));
    expect(issues).toEqual([expect.stringMatching(/^launch: .*03:00/)]);
  });

  it('refuses a time of day out of range', () => {
    expect(issuesOf(aCampaign({ sendWindow: { from: '24:00', until: '06:00', defaultTimeZone: 'UTC' } }))).toEqual([
      expect.stringMatching(/^sendWindow\.from: /),
    ]);
  });
});

describe('requiredColumns', () => {
  it('lists the recipient, time zone, every mapped column and the callback pattern’s columns, once each', () => {
    const campaign = campaignSchema.parse(
      aCampaign({
        audience: { bucket: 'acme-audiences', key: 'a.jsonl', format: 'jsonl', recipientColumn: 'msisdn', timeZoneColumn: 'tz' },
        template: {
          name: 'autumn_sale',
          language: 'de_DE',
          header: { column: 'first_name' },
          body: [{ column: 'first_name' }, { value: 'x' }],
          buttons: [{ index: 0, subType: 'copy_code', source: { column: 'coupon' } }],
        },
        callbackData: '{row}:{column:crm_id}',
      }),
    );
    expect(requiredColumns(campaign)).toEqual(['msisdn', 'tz', 'first_name', 'coupon', 'crm_id']);
  });
});

describe('published JSON Schema', () => {
  it('is up to date with the zod contract (run `npm run schema`)', () => {
    const published = JSON.parse(readFileSync(new URL('../../../schemas/campaign.v1.json', import.meta.url), 'utf8'));
    expect(published).toEqual(campaignJsonSchema());
  });
});
