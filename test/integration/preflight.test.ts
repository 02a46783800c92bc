import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { type Simulator, type SimulatorOptions, startSimulator } from 'mm-api-simulator';
import { afterEach, describe, expect, it } from 'vitest';
import { createGraphApiClient, GraphApiUnavailable } from '../../lib/adapters/meta/graph-api-client.ts';
import { createAudienceReader } from '../../lib/adapters/s3/audience-reader.ts';
import type { PreflightResult } from '../../lib/campaigns/context.ts';
import { type PreflightRequest, runPreflight } from '../../lib/campaigns/preflight.ts';
import { type Campaign, type CampaignInput, campaignSchema } from '../../lib/domain/campaign-contract.ts';
import type { AudienceSource } from '../../lib/ports/audience-source.ts';
import { useLocalStack } from '../helpers/local-stack.ts';

/**
 * The launch's preflight against the MM API simulator's Graph API (templates, phone numbers, the
 * TTL edit) and an S3 bucket in the local stand-in (the audience's version and first row).
 */

const { clients } = useLocalStack();
const bucket = `preflight-${randomBytes(4).toString('hex')}`;
await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
const reader = createAudienceReader(clients.s3);

const WABA_ID = '102290129340398';
const STANDARD_PHONE = '100000000000001';
const HIGH_PHONE = '100000000000002';
const FLAGGED_PHONE = '100000000000003';
const TOKEN = 'local-dev-token';
const CONFIGURED_RATE = 500;

const SCENARIO: SimulatorOptions = {
  tokens: [TOKEN],
  phoneNumbers: [
    { id: STANDARD_PHONE, ratePerSecond: 80 },
    { id: HIGH_PHONE, ratePerSecond: 1_000 },
    { id: FLAGGED_PHONE, ratePerSecond: 80, status: 'FLAGGED' },
  ],
  templates: [
    { name: 'autumn_sale', category: 'MARKETING', languages: ['en_US'], bodyParams: 1, ttlSeconds: 86_400, qualityScore: 'GREEN' },
    {
      name: 'autumn_sale',
      category: 'MARKETING',
      languages: ['de_DE'],
      parameterFormat: 'NAMED',
      namedParams: ['first_name', 'discount'],
      ttlSeconds: 86_400,
    },
    {
      name: 'rich_sale',
      category: 'MARKETING',
      languages: ['en_US'],
      bodyParams: 2,
      headerText: 'Our {{1}} is on!',
      buttons: [
        { type: 'URL', text: 'Shop', url: 'https://shop.example/sale/{{1}}' },
        { type: 'QUICK_REPLY', text: 'Stop promotions' },
        { type: 'COPY_CODE', example: 'AUTUMN20' },
      ],
    },
    { name: 'order_update', category: 'UTILITY', languages: ['en_US'], bodyParams: 1 },
    { name: 'draft_sale', category: 'MARKETING', languages: ['en_US'], bodyParams: 1, status: 'REJECTED', ttlSeconds: 86_400 },
  ].map((template) => ({ ...template, wabaId: WABA_ID })) as SimulatorOptions['templates'],
};

let sim: Simulator | undefined;

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(options: SimulatorOptions = {}): Promise<Simulator> {
  sim = await startSimulator({ ...SCENARIO, ...options });
  return sim;
}

const account = (s: Simulator, token = TOKEN) =>
  createGraphApiClient({ baseUrl: s.url, apiVersion: 'v24.0', accessToken: async () => token, timeoutMs: 5_000 });

function aCampaign(overrides: Partial<CampaignInput> = {}): Campaign {
  return campaignSchema.parse({
    schemaVersion: 1,
    campaignId: 'autumn-2026',
    phoneNumberId: STANDARD_PHONE,
    template: { name: 'autumn_sale', language: 'en_US', body: [{ column: 'first_name' }] },
    audience: { bucket, key: 'audience.csv', format: 'csv' },
    launch: { at: '2026-12-11T09:00:00Z' },
    ...overrides,
  });
}

async function put(key: string, body: string): Promise<string> {
  const { ETag } = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return ETag!;
}

const CSV = 'phone,first_name,coupon\n+4915112345678,Jürgen,A1\n+4915112345679,Zoë,B2\n';
const csvEtag = await put('audience.csv', CSV);

function preflight(s: Simulator, campaign: Campaign, extra: Partial<PreflightRequest> = {}): Promise<PreflightResult> {
  return runPreflight({
    campaign,
    businessAccountId: WABA_ID,
    account: account(s),
    audience: reader,
    setTtlAllowed: false,
    configuredRate: CONFIGURED_RATE,
    ...extra,
  });
}

const codesOf = (result: PreflightResult) => (result.ok ? [] : result.problems.map((problem) => problem.code));
const messagesOf = (result: PreflightResult) => (result.ok ? '' : result.problems.map((problem) => problem.message).join('\n'));
const templateIdOf = (s: Simulator, name: string, language: string) =>
  s.templates().find((template) => template.name === name && template.language === language)!.id;

/** Meta changes a template, through the simulator's control API. */
async function metaChanges(s: Simulator, id: string, change: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${s.url}/_sim/templates/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  expect(response.status).toBe(200);
}

describe('the preflight passes', () => {
  it("with the template's TTL as validity, the STANDARD rate and the audience's version", async () => {
    const s = await start();
    expect(await preflight(s, aCampaign())).toEqual({
      ok: true,
      facts: {
        templateTtlSeconds: 86_400,
        validitySeconds: 86_400,
        ratePerSecond: 80,
        audienceEtag: csvEtag,
        audienceSize: Buffer.byteLength(CSV),
      },
    });
  });

  it('for a template with header, body and buttons on a HIGH number, capped by the configured rate, from JSON Lines', async () => {
    const s = await start();
    const etag = await put('rich.jsonl', '{"phone":"+4915112345678","name":"Jürgen","coupon":"A1","sale":"Autumn"}\n');
    const campaign = aCampaign({
      phoneNumberId: HIGH_PHONE,
      template: {
        name: 'rich_sale',
        language: 'en_US',
        header: { column: 'sale' },
        body: [{ column: 'name' }, { value: '20 %' }],
        buttons: [
          { index: 0, subType: 'url', source: { column: 'coupon' } },
          { index: 2, subType: 'copy_code', source: { value: 'AUTUMN20' } },
        ],
      },
      audience: { bucket, key: 'rich.jsonl', format: 'jsonl' },
    });
    expect(await preflight(s, campaign)).toMatchObject({
      ok: true,
      facts: { ratePerSecond: CONFIGURED_RATE, templateTtlSeconds: 2_592_000, validitySeconds: 2_592_000, audienceEtag: etag },
    });
  });

  it('for named body parameters mapped by name', async () => {
    const s = await start();
    const body = { first_name: { column: 'first_name' }, discount: { value: '20 %' } };
    const result = await preflight(s, aCampaign({ template: { name: 'autumn_sale', language: 'de_DE', body } }));
    expect(result.ok).toBe(true);
  });

  it('after reading one row of the audience only', async () => {
    const s = await start();
    let yielded = 0;
    const counting: AudienceSource = {
      describe: (object) => reader.describe(object),
      async *rows(request) {
        for await (const record of reader.rows(request)) {
          yielded += 1;
          yield record;
        }
      },
    };
    expect((await preflight(s, aCampaign(), { audience: counting })).ok).toBe(true);
    expect(yielded).toBe(1);
  });

  it('finding the exact name and language beyond the first page of a long template list', async () => {
    const many = Array.from({ length: 150 }, (_, n) => ({
      name: `autumn_sale_v${n}`,
      category: 'MARKETING' as const,
      languages: ['en_US'],
      bodyParams: 1,
      wabaId: WABA_ID,
    }));
    const s = await start({
      templates: [
        ...many,
        { name: 'autumn_sale', category: 'MARKETING', languages: ['en_US'], bodyParams: 1, ttlSeconds: 43_200, wabaId: WABA_ID },
      ],
    });
    const found = await account(s).findTemplate(WABA_ID, 'autumn_sale', 'en_US');
    expect(found).toMatchObject({ name: 'autumn_sale', language: 'en_US', ttlSeconds: 43_200 });
    expect(await account(s).findTemplate(WABA_ID, 'autumn_sale', 'fr_FR')).toBeUndefined();
  });
});

describe('the preflight refuses', () => {
  it.each([
    [{ status: 'PAUSED' }, 'template-not-approved', /is PAUSED, not APPROVED/],
    [{ status: 'DISABLED' }, 'template-not-approved', /is DISABLED, not APPROVED/],
    [{ qualityScore: 'RED' }, 'template-quality-red', /quality RED/],
    [{ category: 'UTILITY' }, 'template-not-marketing', /a UTILITY template/],
  ])('a template Meta changed with %o', async (change, code, message) => {
    const s = await start();
    await metaChanges(s, templateIdOf(s, 'autumn_sale', 'en_US'), change);
    const result = await preflight(s, aCampaign());
    expect(codesOf(result)).toEqual([code]);
    expect(messagesOf(result)).toMatch(message);
  });

  it('a rejected template and a utility one', async () => {
    const s = await start();
    expect(codesOf(await preflight(s, aCampaign({ template: { name: 'draft_sale', language: 'en_US', body: [{ value: 'x' }] } })))).toEqual(
      ['template-not-approved'],
    );
    expect(
      messagesOf(await preflight(s, aCampaign({ template: { name: 'order_update', language: 'en_US', body: [{ value: 'x' }] } }))),
    ).toMatch(/order_update.*is a UTILITY template; the Marketing Messages API sends MARKETING ones only/);
  });

  it('a missing template, naming it, together with a missing phone number and a missing audience', async () => {
    const s = await start();
    const campaign = aCampaign({
      phoneNumberId: '100000000000099',
      template: { name: 'autumn', language: 'en_US', body: [{ column: 'first_name' }] },
      audience: { bucket, key: 'nowhere.csv', format: 'csv' },
    });
    const result = await preflight(s, campaign);
    expect(codesOf(result)).toEqual(['template-missing', 'phone-number-missing', 'audience-missing']);
    expect(messagesOf(result)).toMatch(/template "autumn" does not exist in language en_US in WhatsApp Business Account 102290129340398/);
    expect(messagesOf(result)).toMatch(new RegExp(`s3://${bucket}/nowhere.csv does not exist`));
  });

  it('a phone number no served account lists, before asking Meta or S3 anything', async () => {
    const s = await start();
    const asked: string[] = [];
    const refuse = (what: string) => () => {
      asked.push(what);
      throw new Error(`${what} asked`);
    };
    const nobody = {
      account: { findTemplate: refuse('template'), phoneNumber: refuse('phone number'), setTemplateTtl: refuse('set TTL') },
      audience: { describe: refuse('audience'), rows: refuse('audience rows') },
    };
    const result = await preflight(s, aCampaign({ phoneNumberId: '100000000000099' }), { businessAccountId: undefined, ...nobody });
    expect(codesOf(result)).toEqual(['phone-number-not-served']);
    expect(messagesOf(result)).toMatch(/phone number 100000000000099 is not one this deployment serves/);
    expect(asked).toEqual([]);
  });

  it('a template in a language it does not have', async () => {
    const s = await start();
    expect(
      codesOf(await preflight(s, aCampaign({ template: { name: 'autumn_sale', language: 'fr_FR', body: [{ column: 'first_name' }] } }))),
    ).toEqual(['template-missing']);
  });

  it('a number that may not send, naming its status', async () => {
    const s = await start();
    const result = await preflight(s, aCampaign({ phoneNumberId: FLAGGED_PHONE }));
    expect(codesOf(result)).toEqual(['phone-number-cannot-send']);
    expect(messagesOf(result)).toMatch(/status FLAGGED; only a CONNECTED number can send/);
  });

  it("parameters that do not fit the template's header, body and buttons, all at once", async () => {
    const s = await start();
    const campaign = aCampaign({ template: { name: 'rich_sale', language: 'en_US', body: [{ column: 'first_name' }] } });
    const result = await preflight(s, campaign);
    expect(codesOf(result)).toEqual(['body-parameters-mismatch', 'header-parameter-mismatch', 'button-parameters-mismatch']);
    expect(messagesOf(result)).toMatch(/button 0 \(url\) needs a parameter.*button 2 \(copy_code\) needs a parameter/);
  });

  it('named parameters that do not match, naming the missing and the extra ones', async () => {
    const s = await start();
    const body = { first_name: { column: 'first_name' }, coupon: { column: 'coupon' } };
    const result = await preflight(s, aCampaign({ template: { name: 'autumn_sale', language: 'de_DE', body } }));
    expect(messagesOf(result)).toMatch(/missing discount; not in the template: coupon/);
  });
});

describe("the template's TTL", () => {
  it('refuses a validity other than the TTL when setting it is not allowed, naming both', async () => {
    const s = await start();
    const result = await preflight(s, aCampaign({ validitySeconds: 43_200 }));
    expect(codesOf(result)).toEqual(['validity-differs-from-ttl']);
    expect(messagesOf(result)).toMatch(/validity is 43200 s but template "autumn_sale" \(en_US\) has a TTL of 86400 s/);
  });

  it("is set to the campaign's validity when allowed, and a second edit within 24 hours is refused by Meta", async () => {
    const s = await start();
    const id = templateIdOf(s, 'autumn_sale', 'en_US');
    expect(await preflight(s, aCampaign({ validitySeconds: 43_200 }), { setTtlAllowed: true })).toMatchObject({
      ok: true,
      facts: { templateTtlSeconds: 43_200, validitySeconds: 43_200 },
    });
    expect(s.templates().find((template) => template.id === id)?.ttlSeconds).toBe(43_200);
    const again = await preflight(s, aCampaign({ validitySeconds: 50_000 }), { setTtlAllowed: true });
    expect(codesOf(again)).toEqual(['template-ttl-not-set']);
    expect(messagesOf(again)).toMatch(/from 43200 s to the campaign's validity of 50000 s: Meta answered .*once per 24 hours/);
    expect(s.templates().find((template) => template.id === id)?.ttlSeconds).toBe(43_200);
  });

  it('is left alone when the launch fails for another reason', async () => {
    const s = await start();
    const result = await preflight(s, aCampaign({ validitySeconds: 43_200, phoneNumberId: FLAGGED_PHONE }), { setTtlAllowed: true });
    expect(codesOf(result)).toEqual(['phone-number-cannot-send']);
    expect(s.templates().find((template) => template.name === 'autumn_sale' && template.language === 'en_US')?.ttlSeconds).toBe(86_400);
  });
});

describe("the audience's columns", () => {
  it('refuses a CSV whose header lacks a mapped column, listing the missing ones and the header found', async () => {
    const s = await start();
    await put('no-name.csv', 'phone,coupon\n+4915112345678,A1\n');
    const campaign = aCampaign({ audience: { bucket, key: 'no-name.csv', format: 'csv' }, callbackData: '{column:customer_id}' });
    const result = await preflight(s, campaign);
    expect(codesOf(result)).toEqual(['audience-columns-missing']);
    expect(messagesOf(result)).toMatch(/lacks the column\(s\) first_name, customer_id the campaign maps; its header has phone, coupon/);
  });

  it('refuses a JSON Lines file whose first object lacks a mapped column', async () => {
    const s = await start();
    await put('no-phone.jsonl', '{"msisdn":"+4915112345678","first_name":"Jürgen"}\n');
    const result = await preflight(s, aCampaign({ audience: { bucket, key: 'no-phone.jsonl', format: 'jsonl' } }));
    expect(messagesOf(result)).toMatch(/lacks the column\(s\) phone the campaign maps; its first line has msisdn, first_name/);
  });

  it('checks the CSV header even when the first row has the wrong number of fields', async () => {
    const s = await start();
    await put('short-row.csv', 'phone,name\n+4915112345678\n');
    expect(messagesOf(await preflight(s, aCampaign({ audience: { bucket, key: 'short-row.csv', format: 'csv' } })))).toMatch(
      /lacks the column\(s\) first_name .*header has phone, name/,
    );
  });

  it('refuses an audience without rows, and a JSON Lines file whose first line is no object', async () => {
    const s = await start();
    await put('header-only.csv', 'phone,first_name\n');
    await put('array.jsonl', '[1,2]\n{"phone":"+4915112345678","first_name":"a"}\n');
    expect(codesOf(await preflight(s, aCampaign({ audience: { bucket, key: 'header-only.csv', format: 'csv' } })))).toEqual([
      'audience-empty',
    ]);
    expect(codesOf(await preflight(s, aCampaign({ audience: { bucket, key: 'array.jsonl', format: 'jsonl' } })))).toEqual([
      'audience-unreadable',
    ]);
  });
});

describe('when the Graph API cannot answer', () => {
  it('throws GraphApiUnavailable with Meta’s code for a refused token, so the launch is tried again', async () => {
    const s = await start();
    const read = runPreflight({
      campaign: aCampaign(),
      businessAccountId: WABA_ID,
      account: account(s, 'expired-token'),
      audience: reader,
      setTtlAllowed: false,
      configuredRate: CONFIGURED_RATE,
    });
    await expect(read).rejects.toThrow(GraphApiUnavailable);
    await expect(read).rejects.toMatchObject({ code: 190, httpStatus: 401 });
  });

  it('throws GraphApiUnavailable when nothing listens', async () => {
    const s = await start();
    const url = s.url;
    await s.stop();
    sim = undefined;
    const closed = createGraphApiClient({ baseUrl: url, apiVersion: 'v24.0', accessToken: async () => TOKEN, timeoutMs: 5_000 });
    await expect(closed.phoneNumber(STANDARD_PHONE)).rejects.toThrow(/Graph API request GET .* failed/);
  });
});
