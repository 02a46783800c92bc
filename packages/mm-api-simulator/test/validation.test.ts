import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/server.ts';
import { marketingBody, outcomeOf, PHONE_ID, send, template } from './helpers/sim-client.ts';

const TO = '+4915112345678';

describe('simulator: auth, phone number and body validation', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({
      tokens: ['local-dev-token', 'second-token'],
      phoneNumbers: [
        { id: PHONE_ID, displayPhoneNumber: '+15550001111' },
        { id: '100000000000002', registered: false },
      ],
      templates: [
        { name: 'autumn_sale', category: 'MARKETING', languages: ['en_US', 'de_DE'], bodyParams: 1 },
        { name: 'order_update', category: 'UTILITY', languages: ['en_US'], bodyParams: 1 },
        { name: 'login_code', category: 'AUTHENTICATION', languages: ['en_US'], bodyParams: 1 },
        { name: 'plain_promo', category: 'MARKETING', languages: ['en_US'] },
      ],
    });
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.reset());

  describe('auth', () => {
    it.each([
      ['missing', null],
      ['wrong', 'not-a-token'],
      ['empty', ''],
    ])('answers a %s token with HTTP 401 and code 190', async (_label, token) => {
      const result = await send(sim, marketingBody(TO), { token });
      expect(result.status).toBe(401);
      expect(result.json).toEqual({
        error: {
          message: 'Invalid OAuth access token - Cannot parse access token',
          type: 'OAuthException',
          code: 190,
          fbtrace_id: expect.stringMatching(/^[\w-]{23}$/),
        },
      });
    });

    it('accepts any configured token and checks auth before anything else', async () => {
      expect((await send(sim, marketingBody(TO), { token: 'second-token' })).status).toBe(200);
      expect(outcomeOf(await send(sim, {}, { token: null, phoneNumberId: '42' }))).toBe(190);
    });

    it('gives each error a fresh fbtrace_id', async () => {
      const [a, b] = await Promise.all([send(sim, {}, { token: null }), send(sim, {}, { token: null })]);
      expect(a.json.error?.fbtrace_id).not.toBe(b.json.error?.fbtrace_id);
    });
  });

  describe('phone number id', () => {
    it('answers an unknown id as Graph does: code 100, subcode 33', async () => {
      const result = await send(sim, marketingBody(TO), { phoneNumberId: '999999' });
      expect(result.status).toBe(400);
      expect(result.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
      expect(result.json.error?.message).toContain("Object with ID '999999' does not exist");
    });

    it('answers a known but unregistered number with 133010', async () => {
      const result = await send(sim, marketingBody(TO), { phoneNumberId: '100000000000002' });
      expect(result.json.error).toMatchObject({ code: 133010, message: '(#133010) Account not registered' });
    });
  });

  describe('body', () => {
    const cases: [string, unknown, number, string?][] = [
      ['malformed JSON', undefined, 100],
      ['an array body', [marketingBody(TO)], 100],
      ['a missing messaging_product', { ...marketingBody(TO), messaging_product: undefined }, 100, 'messaging_product is required'],
      ['a wrong messaging_product', marketingBody(TO, { messaging_product: 'sms' }), 100, 'messaging_product'],
      ['a missing to', { ...marketingBody(TO), to: undefined }, 100, 'The parameter to is required.'],
      ['a non-string to', marketingBody(TO, { to: 4915112345678 }), 100],
      ['a to that is no phone number', marketingBody('hello'), 131009],
      ['a to that is the business number', marketingBody('+1 555 000 1111'), 131021],
      ['a recipient_type other than individual', marketingBody(TO, { recipient_type: 'group' }), 100],
      [
        'a text message',
        { messaging_product: 'whatsapp', to: TO, type: 'text', text: { body: 'hi' } },
        100,
        'Message must be a template message.',
      ],
      ['a missing type', { ...marketingBody(TO), type: undefined }, 100, 'Message must be a template message.'],
      ['a missing template', { ...marketingBody(TO), template: undefined }, 131008],
      ['a template without name', marketingBody(TO, { template: { language: { code: 'en_US' } } }), 131008],
      ['a template without language', marketingBody(TO, { template: { name: 'autumn_sale' } }), 131008],
      ['an unknown key in template', marketingBody(TO, { template: { ...template('autumn_sale'), ttl: 5 } }), 100, 'Unexpected key "ttl"'],
      [
        'an unknown template',
        marketingBody(TO, { template: template('winter_sale') }),
        132001,
        'Template name does not exist in the translation',
      ],
      ['a language the template lacks', marketingBody(TO, { template: template('autumn_sale', 'fr_FR') }), 132001],
      [
        'too few body parameters',
        marketingBody(TO, { template: template('autumn_sale', 'en_US', 0) }),
        132000,
        'Number of parameters does not match the expected number of params',
      ],
      ['too many body parameters', marketingBody(TO, { template: template('autumn_sale', 'en_US', 2) }), 132000],
      [
        'no components for a template with parameters',
        marketingBody(TO, { template: { name: 'autumn_sale', language: { code: 'en_US' } } }),
        132000,
      ],
      ['parameters for a template without any', marketingBody(TO, { template: template('plain_promo') }), 132000],
      [
        'an empty text parameter',
        marketingBody(TO, {
          template: { ...template('autumn_sale'), components: [{ type: 'body', parameters: [{ type: 'text', text: '' }] }] },
        }),
        131008,
      ],
      ['components that are not an array', marketingBody(TO, { template: { ...template('autumn_sale'), components: {} } }), 100],
      [
        'an unknown component type',
        marketingBody(TO, { template: { ...template('autumn_sale'), components: [{ type: 'sidebar' }] } }),
        100,
      ],
      ['a utility template', marketingBody(TO, { template: template('order_update') }), 134100],
      ['an authentication template', marketingBody(TO, { template: template('login_code') }), 134100],
      ['an unknown top-level field', marketingBody(TO, { ttl_seconds: 3600 }), 100, 'Unexpected key "ttl_seconds"'],
      ['an unknown product_policy', marketingBody(TO, { product_policy: 'LENIENT' }), 100, 'product_policy'],
      ['a non-boolean message_activity_sharing', marketingBody(TO, { message_activity_sharing: 'yes' }), 100, 'message_activity_sharing'],
      ['a non-string biz_opaque_callback_data', marketingBody(TO, { biz_opaque_callback_data: { job: 1 } }), 100],
      ['a biz_opaque_callback_data over 512 characters', marketingBody(TO, { biz_opaque_callback_data: 'x'.repeat(513) }), 100],
    ];

    it.each(cases)('rejects %s', async (_label, body, code, messagePart) => {
      const result = body === undefined ? await send(sim, undefined, { rawBody: '{"to": ' }) : await send(sim, body);
      expect(result.status).toBe(400);
      expect(result.json.error).toMatchObject({
        code,
        type: 'OAuthException',
        error_data: { messaging_product: 'whatsapp', details: expect.any(String) },
        fbtrace_id: expect.any(String),
      });
      expect(result.json.error?.message.startsWith(`(#${code}) `)).toBe(true);
      if (messagePart) expect(result.json.error?.message).toContain(messagePart);
      expect(sim.calls().at(-1)?.outcome).toBe(code);
    });

    it('names the template and language in a 132001’s details, as Meta does', async () => {
      const result = await send(sim, marketingBody(TO, { template: template('autumn_sale', 'fr_FR') }));
      expect(result.json.error?.error_data?.details).toBe('template name (autumn_sale) does not exist in fr_FR');
    });

    it('does not count rejected bodies against throughput or pair limits', async () => {
      for (let i = 0; i < 100; i += 1) await send(sim, marketingBody(TO, { template: template('order_update') }));
      expect((await send(sim, marketingBody(TO))).status).toBe(200);
    });
  });
});
