import { describe, expect, it } from 'vitest';
import { type Campaign, type CampaignInput, campaignSchema } from '../../../lib/domain/campaign-contract.ts';
import {
  checkTemplate,
  DEFAULT_MARKETING_TTL_SECONDS,
  decideValidity,
  type PhoneFacts,
  rateFromPhone,
  type TemplateFacts,
  templateMissing,
} from '../../../lib/domain/preflight.ts';

function aCampaign(overrides: Partial<CampaignInput> = {}, template: Partial<CampaignInput['template']> = {}): Campaign {
  return campaignSchema.parse({
    schemaVersion: 1,
    campaignId: 'autumn-2026',
    phoneNumberId: '100000000000001',
    template: { name: 'autumn_sale', language: 'en_US', body: [{ column: 'first_name' }], ...template },
    audience: { bucket: 'acme-audiences', key: 'autumn.csv', format: 'csv' },
    launch: { at: '2026-12-11T09:00:00Z' },
    ...overrides,
  });
}

function aTemplate(overrides: Partial<TemplateFacts> = {}): TemplateFacts {
  return {
    name: 'autumn_sale',
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
    qualityScore: 'GREEN',
    parameterFormat: 'POSITIONAL',
    bodyParameters: { count: 1, names: [] },
    headerTextParameter: false,
    buttons: [],
    ttlSeconds: 86_400,
    ...overrides,
  };
}

const codes = (campaign: Campaign, template: TemplateFacts) => checkTemplate(campaign, template).map((problem) => problem.code);

describe('checkTemplate: the template itself', () => {
  it('passes an approved marketing template whose parameters the campaign maps', () => {
    expect(checkTemplate(aCampaign(), aTemplate())).toEqual([]);
  });

  it.each(['PAUSED', 'DISABLED', 'PENDING', 'REJECTED', 'IN_APPEAL'])('refuses a %s template, naming the status', (status) => {
    const [problem, ...rest] = checkTemplate(aCampaign(), aTemplate({ status }));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ code: 'template-not-approved' });
    expect(problem!.message).toContain(`is ${status}, not APPROVED`);
  });

  it('says why a paused template cannot be sent', () => {
    expect(checkTemplate(aCampaign(), aTemplate({ status: 'PAUSED' }))[0]!.message).toMatch(/paused it for low quality/);
  });

  it.each(['UTILITY', 'AUTHENTICATION'])('refuses a %s template', (category) => {
    const [problem] = checkTemplate(aCampaign(), aTemplate({ category }));
    expect(problem).toMatchObject({ code: 'template-not-marketing' });
    expect(problem!.message).toMatch(new RegExp(`a ${category} template.*MARKETING ones only`));
  });

  it('refuses quality RED, and lets YELLOW, UNKNOWN and no score through', () => {
    expect(codes(aCampaign(), aTemplate({ qualityScore: 'RED' }))).toEqual(['template-quality-red']);
    for (const qualityScore of ['YELLOW', 'UNKNOWN', undefined]) expect(codes(aCampaign(), aTemplate({ qualityScore }))).toEqual([]);
  });

  it('names every problem at once', () => {
    expect(
      codes(
        aCampaign(),
        aTemplate({ status: 'PAUSED', category: 'UTILITY', qualityScore: 'RED', bodyParameters: { count: 2, names: [] } }),
      ),
    ).toEqual(['template-not-approved', 'template-not-marketing', 'template-quality-red', 'body-parameters-mismatch']);
  });

  it('names the template, its language and the business account when it is missing', () => {
    expect(templateMissing(aCampaign(), '102290129340398')).toEqual({
      code: 'template-missing',
      message: 'template "autumn_sale" does not exist in language en_US in WhatsApp Business Account 102290129340398',
    });
  });
});

describe('checkTemplate: body parameters', () => {
  it('wants as many positional parameters as the template has', () => {
    const twoParameters = aTemplate({ bodyParameters: { count: 2, names: [] } });
    expect(checkTemplate(aCampaign(), twoParameters)).toEqual([
      { code: 'body-parameters-mismatch', message: 'template "autumn_sale" (en_US) takes 2 body parameter(s); the campaign gives 1' },
    ]);
    expect(checkTemplate(aCampaign({}, { body: [{ column: 'first_name' }, { value: '20 %' }] }), twoParameters)).toEqual([]);
  });

  it('accepts no body for a template without parameters, and refuses one for a template with some', () => {
    const none = aTemplate({ bodyParameters: { count: 0, names: [] } });
    expect(checkTemplate(aCampaign({}, { body: undefined }), none)).toEqual([]);
    expect(codes(aCampaign({}, { body: undefined }), aTemplate())).toEqual(['body-parameters-mismatch']);
    expect(codes(aCampaign(), none)).toEqual(['body-parameters-mismatch']);
  });

  it('refuses parameters by name for a positional template', () => {
    const [problem] = checkTemplate(aCampaign({}, { body: { first_name: { column: 'first_name' } } }), aTemplate());
    expect(problem!.message).toMatch(/positional body parameters.*maps them by name \(first_name\)/);
  });

  const named = aTemplate({ parameterFormat: 'NAMED', bodyParameters: { count: 2, names: ['first_name', 'discount'] } });

  it('wants exactly the names of a named template', () => {
    const body = { first_name: { column: 'first_name' }, discount: { value: '20 %' } };
    expect(checkTemplate(aCampaign({}, { body }), named)).toEqual([]);
  });

  it('names the missing and the extra named parameters', () => {
    const body = { first_name: { column: 'first_name' }, coupon: { value: 'X' } };
    expect(checkTemplate(aCampaign({}, { body }), named)).toEqual([
      {
        code: 'body-parameters-mismatch',
        message:
          'template "autumn_sale" (en_US) takes the body parameters first_name, discount; missing discount; not in the template: coupon',
      },
    ]);
  });

  it('refuses a list for a named template', () => {
    expect(checkTemplate(aCampaign(), named)[0]!.message).toMatch(/named body parameters \(first_name, discount\).*gives a list/);
  });
});

describe('checkTemplate: header and buttons', () => {
  it('wants a header parameter exactly when the header takes one', () => {
    const withHeader = aCampaign({}, { header: { value: 'Autumn' } });
    expect(checkTemplate(withHeader, aTemplate({ headerTextParameter: true }))).toEqual([]);
    expect(checkTemplate(aCampaign(), aTemplate({ headerTextParameter: true }))[0]!.message).toMatch(
      /has a header text parameter; the campaign gives none/,
    );
    expect(checkTemplate(withHeader, aTemplate())[0]).toMatchObject({
      code: 'header-parameter-mismatch',
      message: expect.stringMatching(/has no header/),
    });
  });

  const buttons = [
    { index: 0, type: 'url', takesParameter: true },
    { index: 1, type: 'quick_reply', takesParameter: true },
    { index: 2, type: 'copy_code', takesParameter: true },
    { index: 3, type: 'url', takesParameter: false },
  ];
  const withButtons = aTemplate({ buttons });
  const url = { index: 0, subType: 'url' as const, source: { column: 'coupon' } };
  const code = { index: 2, subType: 'copy_code' as const, source: { value: 'AUTUMN20' } };

  it('passes when every button that needs a parameter has one; a quick reply may go without', () => {
    expect(checkTemplate(aCampaign({}, { buttons: [url, code] }), withButtons)).toEqual([]);
    const payload = { index: 1, subType: 'quick_reply' as const, source: { value: 'STOP' } };
    expect(checkTemplate(aCampaign({}, { buttons: [url, payload, code] }), withButtons)).toEqual([]);
  });

  it('names a dynamic URL or copy-code button left without parameter', () => {
    expect(checkTemplate(aCampaign({}, { buttons: [code] }), withButtons)).toEqual([
      {
        code: 'button-parameters-mismatch',
        message: 'template "autumn_sale" (en_US): button 0 (url) needs a parameter; the campaign gives none',
      },
    ]);
    expect(checkTemplate(aCampaign({}, { buttons: [url] }), withButtons)[0]!.message).toMatch(/button 2 \(copy_code\) needs a parameter/);
  });

  it('refuses a mapping of the wrong kind, to a button without parameter, to no button, or twice', () => {
    const cases = [
      [[{ ...url, subType: 'copy_code' as const }, code], 'button 0 is url, the campaign maps it as copy_code'],
      [[url, code, { ...url, index: 3 }], 'button 3 (url) takes no parameter'],
      [[url, code, { ...url, index: 7 }], 'the template has no button 7'],
    ] as const;
    for (const [mappings, message] of cases) {
      expect(checkTemplate(aCampaign({}, { buttons: [...mappings] }), withButtons)).toEqual([
        { code: 'button-parameters-mismatch', message: `template "autumn_sale" (en_US): ${message}` },
      ]);
    }
    expect(checkTemplate(aCampaign({}, { buttons: [url, url, code] }), withButtons)[0]!.message).toMatch(
      /button 0 is mapped more than once/,
    );
  });
});

describe('decideValidity', () => {
  it("takes the template's TTL when the campaign sets no validity", () => {
    expect(decideValidity({ campaign: aCampaign(), templateTtlSeconds: 86_400, setTtlAllowed: false })).toEqual({
      action: 'keep',
      validitySeconds: 86_400,
      templateTtlSeconds: 86_400,
    });
  });

  it("takes Meta's 30-day default when the template sets no TTL either", () => {
    expect(DEFAULT_MARKETING_TTL_SECONDS).toBe(2_592_000);
    expect(decideValidity({ campaign: aCampaign(), templateTtlSeconds: undefined, setTtlAllowed: false })).toMatchObject({
      action: 'keep',
      validitySeconds: 2_592_000,
    });
  });

  it('keeps a validity equal to the TTL', () => {
    const campaign = aCampaign({ validitySeconds: 86_400 });
    expect(decideValidity({ campaign, templateTtlSeconds: 86_400, setTtlAllowed: false })).toMatchObject({ action: 'keep' });
  });

  it.each([43_200, 172_800])('refuses a validity of %s s against a TTL of 86400 s, naming both', (validitySeconds) => {
    const decision = decideValidity({ campaign: aCampaign({ validitySeconds }), templateTtlSeconds: 86_400, setTtlAllowed: false });
    expect(decision).toMatchObject({ action: 'refuse', problem: { code: 'validity-differs-from-ttl' } });
    expect(decision.action === 'refuse' && decision.problem.message).toMatch(
      new RegExp(`validity is ${validitySeconds} s .* TTL of 86400 s`),
    );
  });

  it("says when the TTL it compared with is Meta's default", () => {
    const decision = decideValidity({
      campaign: aCampaign({ validitySeconds: 86_400 }),
      templateTtlSeconds: undefined,
      setTtlAllowed: false,
    });
    expect(decision.action === 'refuse' && decision.problem.message).toMatch(/TTL of 2592000 s \(Meta's default/);
  });

  it("sets the template's TTL to the validity when that is allowed", () => {
    const decision = decideValidity({ campaign: aCampaign({ validitySeconds: 43_200 }), templateTtlSeconds: 86_400, setTtlAllowed: true });
    expect(decision).toEqual({
      action: 'set-template-ttl',
      validitySeconds: 43_200,
      templateTtlSeconds: 43_200,
      currentTtlSeconds: 86_400,
    });
  });
});

describe('rateFromPhone', () => {
  const phone = (overrides: Partial<PhoneFacts> = {}): PhoneFacts => ({
    id: '100000000000001',
    status: 'CONNECTED',
    throughputLevel: 'STANDARD',
    ...overrides,
  });

  it('gives 80/s for STANDARD and 1,000/s for HIGH, capped by the configured rate', () => {
    expect(rateFromPhone({ phone: phone(), configuredRate: 500 })).toEqual({ ok: true, ratePerSecond: 80 });
    expect(rateFromPhone({ phone: phone({ throughputLevel: 'HIGH' }), configuredRate: 500 })).toEqual({ ok: true, ratePerSecond: 500 });
    expect(rateFromPhone({ phone: phone({ throughputLevel: 'HIGH' }), configuredRate: 2_000 })).toEqual({ ok: true, ratePerSecond: 1_000 });
    expect(rateFromPhone({ phone: phone(), configuredRate: 20 })).toEqual({ ok: true, ratePerSecond: 20 });
  });

  it("takes Meta's default 80/s when the level is absent or unknown", () => {
    expect(rateFromPhone({ phone: phone({ throughputLevel: undefined }), configuredRate: 500 })).toEqual({ ok: true, ratePerSecond: 80 });
    expect(rateFromPhone({ phone: phone({ throughputLevel: 'NOT_APPLICABLE' }), configuredRate: 500 })).toEqual({
      ok: true,
      ratePerSecond: 80,
    });
  });

  it.each(['FLAGGED', 'RESTRICTED', 'RATE_LIMITED', 'PENDING', 'DISCONNECTED', 'BANNED'])(
    'refuses a number with status %s, naming it',
    (status) => {
      expect(rateFromPhone({ phone: phone({ status }), configuredRate: 80 })).toEqual({
        ok: false,
        problem: {
          code: 'phone-number-cannot-send',
          message: `phone number 100000000000001 has status ${status}; only a CONNECTED number can send`,
        },
      });
    },
  );
});
