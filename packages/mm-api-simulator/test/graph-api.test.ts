import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, type SimulatorOptions, startSimulator } from '../src/server.ts';
import { derivedTemplateId } from '../src/template-catalog.ts';
import { PHONE_ID, steppedClock, TOKEN } from './helpers/sim-client.ts';

/**
 * The Graph calls of a campaign preflight, over real HTTP:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live
 */

const WABA_ID = '102290129340398';
const SALE_ID = '806312974732579';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const SCENARIO: SimulatorOptions = {
  phoneNumbers: [
    { id: PHONE_ID, ratePerSecond: 80, displayPhoneNumber: '+15550001111', verifiedName: 'Jasper’s Market' },
    { id: '100000000000002', ratePerSecond: 200, status: 'FLAGGED', qualityRating: 'YELLOW', messagingLimitTier: 'TIER_10K' },
  ],
  templates: [
    {
      id: SALE_ID,
      name: 'autumn_sale',
      category: 'MARKETING',
      languages: ['en_US'],
      bodyParams: 1,
      wabaId: WABA_ID,
      qualityScore: 'GREEN',
    },
    {
      name: 'autumn_sale',
      category: 'MARKETING',
      languages: ['de_DE'],
      parameterFormat: 'NAMED',
      namedParams: ['first_name'],
      wabaId: WABA_ID,
    },
    { name: 'order_update', category: 'UTILITY', languages: ['en_US'], bodyParams: 1, wabaId: WABA_ID, status: 'REJECTED' },
  ],
};

/** A Graph answer, loosely typed so that tests can probe every shape. */
interface GraphJson {
  error?: { message: string; type: string; code: number; error_subcode?: number; error_data?: { details: string } };
  data?: unknown[];
  paging?: { cursors: { before: string; after: string }; next?: string };
  [field: string]: unknown;
}

interface GraphResult {
  status: number;
  json: GraphJson;
}

describe('simulator: Graph API for templates and phone numbers', () => {
  let sim: Simulator | undefined;
  const clock = steppedClock();

  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  async function start(extra: SimulatorOptions = {}): Promise<Simulator> {
    sim = await startSimulator({ ...SCENARIO, now: clock.now, ...extra });
    return sim;
  }

  async function graph(path: string, init: { method?: string; body?: unknown; token?: string | null } = {}): Promise<GraphResult> {
    if (!sim) throw new Error('start the simulator first');
    const { method = 'GET', token = TOKEN } = init;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token !== null) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${sim.url}/v24.0/${path}`, {
      method,
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: response.status, json: (await response.json()) as GraphJson };
  }

  const setTtl = (id: string, ttl: unknown): Promise<GraphResult> => graph(id, { method: 'POST', body: { message_send_ttl_seconds: ttl } });

  describe('GET /{template-id}', () => {
    it('answers the requested fields plus id, in Meta’s shapes', async () => {
      await start();
      const fields = 'name,language,status,category,quality_score,components,parameter_format,message_send_ttl_seconds';
      const { status, json } = await graph(`${SALE_ID}?fields=${fields}`);
      expect(status).toBe(200);
      expect(json).toEqual({
        name: 'autumn_sale',
        language: 'en_US',
        status: 'APPROVED',
        category: 'MARKETING',
        quality_score: { score: 'GREEN' },
        components: [{ type: 'BODY', text: 'Hello {{1}}.', example: { body_text: [['sample_1']] } }],
        parameter_format: 'POSITIONAL',
        message_send_ttl_seconds: 2_592_000,
        id: SALE_ID,
      });
    });

    it('gives each translation its own id and shows named parameters', async () => {
      await start();
      const { json } = await graph(`${derivedTemplateId('autumn_sale', 'de_DE')}?fields=language,parameter_format,components`);
      expect(json).toMatchObject({
        language: 'de_DE',
        parameter_format: 'NAMED',
        components: [
          {
            type: 'BODY',
            text: 'Hello {{first_name}}.',
            example: { body_text_named_params: [{ param_name: 'first_name', example: 'sample_first_name' }] },
          },
        ],
      });
    });

    it('answers Graph’s default fields without ?fields=', async () => {
      await start();
      const { json } = await graph(SALE_ID);
      expect(Object.keys(json).sort()).toEqual(['category', 'components', 'id', 'language', 'name', 'parameter_format', 'status']);
    });

    it('refuses a field the node type does not have', async () => {
      await start();
      const { status, json } = await graph(`${SALE_ID}?fields=name,colour`);
      expect(status).toBe(400);
      expect(json.error).toMatchObject({
        message: '(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessHSM)',
        type: 'OAuthException',
        code: 100,
      });
      expect(json.error?.error_data).toBeUndefined();
    });

    it('answers 100 with subcode 33 for an id that does not exist', async () => {
      await start();
      const { status, json } = await graph('999999999999999?fields=name');
      expect(status).toBe(400);
      expect(json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      expect(json.error?.message).toMatch(/^Unsupported get request\. Object with ID '999999999999999' does not exist/);
    });

    it('checks the token as the send endpoint does', async () => {
      await start();
      expect((await graph(SALE_ID, { token: 'wrong' })).json.error).toMatchObject({ code: 190, type: 'OAuthException' });
      expect((await graph(SALE_ID, { token: null })).status).toBe(401);
    });
  });

  describe('GET /{waba-id}/message_templates', () => {
    it('lists the WABA’s translations with data and paging, filtered by name', async () => {
      await start();
      const { status, json } = await graph(`${WABA_ID}/message_templates?name=autumn_sale&fields=name,language,status`);
      expect(status).toBe(200);
      expect(json.data).toEqual([
        { name: 'autumn_sale', language: 'en_US', status: 'APPROVED', id: SALE_ID },
        { name: 'autumn_sale', language: 'de_DE', status: 'APPROVED', id: derivedTemplateId('autumn_sale', 'de_DE') },
      ]);
      expect(json.paging).toEqual({ cursors: { before: expect.any(String), after: expect.any(String) } });
    });

    it('pages with limit and after, giving next while more remain', async () => {
      await start();
      const first = await graph(`${WABA_ID}/message_templates?fields=name,language&limit=2`);
      expect(first.json.data).toHaveLength(2);
      expect(first.json.paging?.next).toEqual(expect.stringContaining(`after=${first.json.paging?.cursors.after}`));
      const second = await graph(`${WABA_ID}/message_templates?fields=name,language&limit=2&after=${first.json.paging?.cursors.after}`);
      expect(second.json.data).toEqual([{ name: 'order_update', language: 'en_US', id: derivedTemplateId('order_update', 'en_US') }]);
      expect(second.json.paging?.next).toBeUndefined();
    });

    it('answers an empty list for a name no template has, and 100/33 for an unknown WABA', async () => {
      await start();
      expect((await graph(`${WABA_ID}/message_templates?name=winter_sale`)).json).toEqual({ data: [] });
      expect((await graph('555/message_templates')).json.error).toMatchObject({ code: 100, error_subcode: 33 });
    });
  });

  describe('POST /{template-id} message_send_ttl_seconds', () => {
    it('sets the TTL and answers success', async () => {
      await start();
      expect(await setTtl(SALE_ID, 43_200)).toEqual({ status: 200, json: { success: true } });
      expect((await graph(`${SALE_ID}?fields=message_send_ttl_seconds`)).json.message_send_ttl_seconds).toBe(43_200);
    });

    it.each([43_199, 2_592_001, 1.5, '86400x', null])('refuses %s for a marketing template', async (ttl) => {
      await start();
      const { status, json } = await setTtl(SALE_ID, ttl);
      expect(status).toBe(400);
      expect(json.error).toMatchObject({ code: 100, message: '(#100) Invalid parameter' });
      expect(json.error?.error_data?.details).toMatch(/from 43200 to 2592000 for MARKETING/);
    });

    it('allows an approved template one edit per 24 hours and 10 per 30 days, on the simulator’s clock', async () => {
      await start();
      expect((await setTtl(SALE_ID, 50_000)).status).toBe(200);
      clock.advance(DAY - 1);
      const tooSoon = await setTtl(SALE_ID, 60_000);
      expect(tooSoon.json.error?.error_data?.details).toMatch(/once per 24 hours/);
      clock.advance(1);
      for (let edit = 2; edit <= 10; edit += 1) {
        expect((await setTtl(SALE_ID, 50_000 + edit)).status).toBe(200);
        clock.advance(DAY);
      }
      // Ten edits within the last 30 days (days 0 to 9); the next is allowed when day 0 leaves the window.
      clock.advance(19 * DAY); // day 29
      expect((await setTtl(SALE_ID, 70_000)).json.error?.error_data?.details).toMatch(/10 times per 30 days/);
      clock.advance(DAY); // day 30
      expect((await setTtl(SALE_ID, 70_000)).status).toBe(200);
    });

    it('lets rejected and paused templates be edited freely, but not disabled ones', async () => {
      const s = await start();
      const orderId = derivedTemplateId('order_update', 'en_US');
      for (const ttl of [600, 700, 800]) expect((await setTtl(orderId, ttl)).status).toBe(200);
      await s.updateTemplate(SALE_ID, { status: 'PAUSED' });
      for (const ttl of [50_000, 60_000]) expect((await setTtl(SALE_ID, ttl)).status).toBe(200);
      await s.updateTemplate(SALE_ID, { status: 'DISABLED' });
      expect((await setTtl(SALE_ID, 70_000)).json.error?.error_data?.details).toMatch(/status DISABLED cannot be edited/);
    });

    it('uses the range of the template’s category, and refuses other edits', async () => {
      await start();
      const orderId = derivedTemplateId('order_update', 'en_US');
      expect((await setTtl(orderId, 43_201)).json.error?.error_data?.details).toMatch(/from 30 to 43200 for UTILITY/);
      const other = await graph(orderId, { method: 'POST', body: { category: 'MARKETING' } });
      expect(other.json.error?.error_data?.details).toMatch(/only edits message_send_ttl_seconds/);
    });

    it('takes the TTL as a form parameter too, as Graph SDKs send it', async () => {
      const s = await start();
      const response = await fetch(`${s.url}/v24.0/${SALE_ID}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'message_send_ttl_seconds=86400',
      });
      expect(await response.json()).toEqual({ success: true });
    });
  });

  describe('GET /{phone-number-id}', () => {
    it('answers Meta’s phone number fields, with defaults', async () => {
      await start();
      const fields = 'display_phone_number,verified_name,quality_rating,status,throughput,messaging_limit_tier';
      expect((await graph(`${PHONE_ID}?fields=${fields}`)).json).toEqual({
        display_phone_number: '+15550001111',
        verified_name: 'Jasper’s Market',
        quality_rating: 'GREEN',
        status: 'CONNECTED',
        throughput: { level: 'STANDARD' },
        messaging_limit_tier: 'TIER_1K',
        id: PHONE_ID,
      });
      expect((await graph(`100000000000002?fields=${fields}`)).json).toMatchObject({
        quality_rating: 'YELLOW',
        status: 'FLAGGED',
        throughput: { level: 'HIGH' },
        messaging_limit_tier: 'TIER_10K',
      });
    });

    it('refuses unknown fields and edits', async () => {
      await start();
      expect((await graph(`${PHONE_ID}?fields=colour`)).json.error?.message).toBe(
        '(#100) Tried accessing nonexisting field (colour) on node type (WhatsAppBusinessPhoneNumber)',
      );
      expect((await graph(PHONE_ID, { method: 'POST', body: {} })).json.error).toMatchObject({ code: 100, error_subcode: 33 });
    });
  });

  it('forgets TTL edits and their limits on reset()', async () => {
    const s = await start();
    expect((await setTtl(SALE_ID, 50_000)).status).toBe(200);
    s.reset();
    expect((await graph(`${SALE_ID}?fields=message_send_ttl_seconds`)).json.message_send_ttl_seconds).toBe(2_592_000);
    expect((await setTtl(SALE_ID, 60_000)).status).toBe(200);
  });
});
