import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { outOfOrderPermutation } from '../src/message-lifecycle.ts';
import { isExemptFromPerUserLimit } from '../src/per-user-limit.ts';
import { parseScenario, ScenarioError, type ScenarioInput } from '../src/scenario.ts';
import { type Simulator, type SimulatorOptions, startSimulator } from '../src/server.ts';
import {
  quickReplyPayload,
  statusObject,
  statusPayload,
  userPreferencePayload,
  type WebhookPayload,
  type WebhookStatus,
} from '../src/webhook-payloads.ts';
import { serializeWebhookBody, signWebhookBody, verifyWebhookSignature } from '../src/webhook-signature.ts';
import { marketingBody, outcomeOf, PHONE_ID, send, steppedClock, template } from './helpers/sim-client.ts';
import { startWebhookReceiver, verifySignature, type WebhookReceiver } from './helpers/webhook-receiver.ts';

const SECRET = 'test-app-secret';
const WABA_ID = '102290129340398';
const BUSINESS_NUMBER = '+15550001111';
/** Brazil: subject to the per-user limit. */
const BRAZIL = '+5511987654321';
const BRAZIL_DIGITS = '5511987654321';

type WebhookInput = NonNullable<ScenarioInput['webhooks']>;

/**
 * The 131049 error object of a failed status webhook, as Meta's reference shows it:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 */
const META_131049 = {
  code: 131049,
  title: 'This message was not delivered to maintain healthy ecosystem engagement.',
  message: 'This message was not delivered to maintain healthy ecosystem engagement.',
  error_data: { details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
  href: '/documentation/business-messaging/whatsapp/support/error-codes',
};

const statusesIn = (payload: WebhookPayload): WebhookStatus[] =>
  payload.entry.flatMap((entry) => entry.changes.flatMap((change) => change.value.statuses ?? []));

const utilityBody = (to: string): Record<string, unknown> => marketingBody(to, { template: template('order_update') });

describe('simulator: webhooks', () => {
  let sim: Simulator | undefined;
  let receiver: WebhookReceiver | undefined;

  afterEach(async () => {
    await sim?.stop();
    await receiver?.close();
    sim = undefined;
    receiver = undefined;
  });

  /** A simulator with webhooks (fast, everyone reads) pointed at a fresh receiver. */
  async function setup(webhooks: Partial<WebhookInput> = {}, extra: SimulatorOptions = {}): Promise<{ s: Simulator; r: WebhookReceiver }> {
    receiver = await startWebhookReceiver(SECRET);
    sim = await startSimulator({
      phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 1000, displayPhoneNumber: BUSINESS_NUMBER }],
      webhooks: { appSecret: SECRET, wabaId: WABA_ID, delayMs: 2, readRate: 1, ...webhooks },
      ...extra,
    });
    sim.setWebhookTarget(receiver.url);
    return { s: sim, r: receiver };
  }

  async function sendAndSettle(s: Simulator, body: unknown, options: Parameters<typeof send>[2] = {}): Promise<string> {
    const result = await send(s, body, options);
    expect(result.status).toBe(200);
    await s.webhooksIdle();
    return result.json.messages?.[0]?.id ?? '';
  }

  /** A message's statuses as the receiver got them: in arrival order, which concurrent POSTs may shuffle. */
  const statusesOf = (r: WebhookReceiver, wamid: string): WebhookStatus[] => r.statuses().filter((status) => status.id === wamid);
  /** A message's statuses in the order the simulator posted them. */
  const postedStatusesOf = (s: Simulator, wamid: string): WebhookStatus[] =>
    s
      .webhookDeliveries()
      .flatMap((delivery) => statusesIn(delivery.payload as WebhookPayload))
      .filter((status) => status.id === wamid);
  /** How a message ended as the receiver saw it, whatever the arrival order. */
  const fateOf = (r: WebhookReceiver, wamid: string): string => {
    const names = new Set(statusesOf(r, wamid).map((status) => status.status));
    return ['failed', 'read', 'delivered', 'sent'].find((name) => names.has(name as WebhookStatus['status'])) ?? 'none';
  };

  describe('signature', () => {
    it('signs the raw bytes, which Meta-style escaping makes differ from a re-serialisation', async () => {
      const { s, r } = await setup();
      const payload = userPreferencePayload({
        wabaId: WABA_ID,
        metadata: { display_phone_number: '15550001111', phone_number_id: PHONE_ID },
        waId: '4915112345678',
        value: 'stop',
        timestamp: 1_750_000_000,
        profileName: 'Jürgen Weiß',
      });
      expect(await s.emitWebhook(payload)).toEqual([{ status: 200 }]);

      const [hook] = r.received;
      expect(hook?.signatureValid).toBe(true);
      expect(hook?.headers['content-type']).toBe('application/json');
      expect(hook?.signature).toBe(
        `sha256=${createHmac('sha256', SECRET)
          .update(hook?.raw ?? '')
          .digest('hex')}`,
      );
      const text = hook?.raw.toString('utf8') ?? '';
      expect(text).toContain('J\\u00fcrgen Wei\\u00df');
      expect(hook?.payload).toEqual(payload);
      // A receiver that verifies JSON.stringify(JSON.parse(body)) instead of the raw bytes fails, as with Meta.
      expect(verifySignature(Buffer.from(JSON.stringify(hook?.payload)), hook?.signature, SECRET)).toBe(false);
    });

    it('escapes non-ASCII as lowercase \\u and "/" as "\\/", and the helpers agree with a plain HMAC', () => {
      expect(serializeWebhookBody({ a: 'ä/€😀' })).toBe('{"a":"\\u00e4\\/\\u20ac\\ud83d\\ude00"}');
      const body = serializeWebhookBody({ a: 'ä' });
      const header = signWebhookBody(body, SECRET);
      expect(header).toBe(`sha256=${createHmac('sha256', SECRET).update(Buffer.from(body, 'utf8')).digest('hex')}`);
      expect(verifyWebhookSignature(body, header, SECRET)).toBe(true);
      expect(verifyWebhookSignature(body, header, 'other')).toBe(false);
      expect(verifyWebhookSignature(body, undefined, SECRET)).toBe(false);
    });

    it('posts a string byte for byte, and can sign wrongly or not at all', async () => {
      const { s, r } = await setup();
      const documented =
        '{"object":"whatsapp_business_account","entry":[{"id":"0","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"statuses":[{"id":"wamid.x","status":"sent","timestamp":"1750030073","recipient_id":"4915112345678"}]}}]}]}';
      expect(await s.emitWebhook(documented)).toEqual([{ status: 200 }]);
      expect(r.received[0]?.raw.toString('utf8')).toBe(documented);

      expect(await s.emitWebhook(documented, { signature: 'invalid' })).toEqual([{ status: 403 }]);
      expect(r.received[1]?.signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(await s.emitWebhook(documented, { signature: 'missing' })).toEqual([{ status: 403 }]);
      expect(r.received[2]?.signature).toBeUndefined();

      expect(await s.emitWebhook(documented, { times: 3 })).toEqual([{ status: 200 }, { status: 200 }, { status: 200 }]);
      expect(new Set(r.received.slice(3).map((hook) => hook.raw.toString()))).toEqual(new Set([documented]));
      const raw = s.webhookDeliveries().filter((delivery) => delivery.kind === 'raw');
      expect(raw.map((delivery) => delivery.wamids)).toEqual(Array.from({ length: 6 }, () => ['wamid.x']));
      expect(raw.slice(4).map((delivery) => delivery.duplicateOf)).toEqual([raw[3]?.seq, raw[3]?.seq]);
    });
  });

  describe('message lifecycle', () => {
    it('posts sent, delivered and read with Meta’s fields; pricing on delivered and read only', async () => {
      const clock = steppedClock(1_750_030_073_000);
      const { s, r } = await setup({}, { now: clock.now });
      const wamid = await sendAndSettle(s, marketingBody(BRAZIL, { biz_opaque_callback_data: 'campaign=c1;job=42' }));

      expect(r.received.every((hook) => hook.signatureValid)).toBe(true);
      expect(r.received).toHaveLength(3);
      const payload = r.received[0]?.payload as WebhookPayload;
      expect(payload.object).toBe('whatsapp_business_account');
      expect(payload.entry).toHaveLength(1);
      expect(payload.entry[0]?.id).toBe(WABA_ID);
      expect(payload.entry[0]?.changes[0]?.field).toBe('messages');
      expect(payload.entry[0]?.changes[0]?.value.metadata).toEqual({ display_phone_number: '15550001111', phone_number_id: PHONE_ID });
      expect(payload.entry[0]?.changes[0]?.value.messaging_product).toBe('whatsapp');

      const pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' };
      const common = { id: wamid, timestamp: '1750030073', recipient_id: BRAZIL_DIGITS, biz_opaque_callback_data: 'campaign=c1;job=42' };
      const expected = [
        { ...common, status: 'sent' },
        { ...common, status: 'delivered', pricing },
        { ...common, status: 'read', pricing },
      ];
      expect(postedStatusesOf(s, wamid)).toEqual(expected);
      expect(statusesOf(r, wamid)).toEqual(expect.arrayContaining(expected));
      expect(JSON.stringify(r.received.map((hook) => hook.payload))).not.toContain('conversation');
      expect(s.calls()[0]?.delivery).toMatchObject({ outcome: 'delivered', route: 'marketing_messages', read: true });
    });

    it('skips read for recipients who do not read (readRate, hashed per recipient)', async () => {
      const { s, r } = await setup({ readRate: 0 });
      const wamid = await sendAndSettle(s, marketingBody(BRAZIL));
      expect(postedStatusesOf(s, wamid).map((status) => status.status)).toEqual(['sent', 'delivered']);
      expect(statusesOf(r, wamid)[0]).not.toHaveProperty('biz_opaque_callback_data');
    });

    it('prices Cloud API sends as marketing: /messages templates and MM API fallbacks', async () => {
      const { s, r } = await setup({}, { rules: [{ recipients: ['+5511900000002'], fallback: true }] });
      const viaMessages = await sendAndSettle(s, marketingBody('+5511900000001'), { endpoint: 'messages' });
      const fallenBack = await sendAndSettle(s, marketingBody('+5511900000002'));
      const utility = await sendAndSettle(s, utilityBody('+5511900000003'), { endpoint: 'messages' });
      const category = (wamid: string): string | undefined =>
        statusesOf(r, wamid).find((status) => status.status === 'delivered')?.pricing?.category;
      expect(category(viaMessages)).toBe('marketing');
      expect(category(fallenBack)).toBe('marketing');
      expect(category(utility)).toBe('utility');
      expect(s.calls().map((call) => call.delivery?.route)).toEqual(['cloud_api', 'cloud_api_fallback', 'cloud_api']);
    });

    it('fails a fallback synchronously with 131055 when product_policy is STRICT', async () => {
      const { s, r } = await setup({}, { rules: [{ fallback: true }] });
      const result = await send(s, marketingBody(BRAZIL, { product_policy: 'STRICT' }));
      expect(outcomeOf(result)).toBe(131055);
      await s.webhooksIdle();
      expect(r.received).toHaveLength(0);
    });

    it('emits an async failure with Meta’s error object and no pricing; `after: "sent"` posts sent first', async () => {
      const { s, r } = await setup(
        {},
        {
          rules: [
            { recipients: ['+5511900000001'], async: { failWith: 131049 } },
            { recipients: ['+5511900000002'], async: { failWith: 131026, after: 'sent' } },
          ],
        },
      );
      const direct = await sendAndSettle(s, marketingBody('+5511900000001', { biz_opaque_callback_data: 'job=1' }));
      const afterSent = await sendAndSettle(s, marketingBody('+5511900000002'));

      const [failed] = statusesOf(r, direct);
      expect(statusesOf(r, direct)).toHaveLength(1);
      expect(failed).toEqual({
        id: direct,
        status: 'failed',
        timestamp: expect.stringMatching(/^\d{10}$/),
        recipient_id: '5511900000001',
        biz_opaque_callback_data: 'job=1',
        errors: [META_131049],
      });
      expect(postedStatusesOf(s, afterSent).map((status) => status.status)).toEqual(['sent', 'failed']);
      expect(postedStatusesOf(s, afterSent)[1]?.errors?.[0]).toMatchObject({ code: 131026, title: 'Message undeliverable' });
      expect(r.statuses().some((status) => status.status === 'failed' && status.pricing)).toBe(false);
      expect(s.calls()[0]?.delivery?.failure).toEqual({ code: 131049, cause: 'rule', afterSent: false });
    });

    it('drops a message silently (Meta’s TTL drop): accepted, `sent` at most, then nothing, however long one waits', async () => {
      const { s, r } = await setup(
        { reorder: true, delayMs: { min: 1, max: 5 } },
        {
          rules: [
            { name: 'dropped-after-sent', recipients: ['+5511900000001'], drop: { after: 'sent' } },
            { name: 'dropped', recipients: ['+5511900000002'], drop: {} },
          ],
        },
      );
      const afterSent = await send(s, marketingBody('+5511900000001', { biz_opaque_callback_data: 'job=1' }));
      const silent = await send(s, marketingBody('+5511900000002'));
      const delivered = await send(s, marketingBody('+5511900000003'));
      for (const result of [afterSent, silent]) {
        expect(result.status).toBe(200);
        expect(result.json.messages?.[0]).toEqual({ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' });
      }
      await s.webhooksIdle();
      // Nothing is scheduled any more; wait many times the largest lifecycle delay anyway.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await s.webhooksIdle();

      const idOf = (result: typeof afterSent): string => result.json.messages?.[0]?.id ?? '';
      const [afterSentId, silentId, deliveredId] = [idOf(afterSent), idOf(silent), idOf(delivered)];
      expect(postedStatusesOf(s, afterSentId)).toEqual([
        {
          id: afterSentId,
          status: 'sent',
          timestamp: expect.stringMatching(/^\d{10}$/),
          recipient_id: '5511900000001',
          biz_opaque_callback_data: 'job=1',
        },
      ]);
      expect(statusesOf(r, afterSentId).map((status) => status.status)).toEqual(['sent']);
      expect(statusesOf(r, silentId)).toEqual([]);
      expect(postedStatusesOf(s, silentId)).toEqual([]);
      expect(fateOf(r, deliveredId)).toBe('read'); // the webhooks did flow for others
      expect(s.webhookStats()).toMatchObject({ failed: 0, dropped: 0, pending: 0 });

      const [afterSentCall, silentCall] = s.calls();
      expect(afterSentCall).toMatchObject({
        outcome: 'accepted',
        httpStatus: 200,
        wamid: afterSentId,
        rule: { name: 'dropped-after-sent' },
      });
      expect(afterSentCall?.delivery).toMatchObject({ outcome: 'dropped', drop: { afterSent: true }, route: 'marketing_messages' });
      expect(afterSentCall?.delivery).not.toHaveProperty('failure');
      expect(silentCall?.delivery).toMatchObject({ outcome: 'dropped', drop: { afterSent: false } });
      expect(s.stats().byOutcome).toEqual({ accepted: 3 });
    });

    it('does not count a dropped message toward the per-user cap window', async () => {
      const clock = steppedClock();
      const { s } = await setup(
        {},
        {
          now: clock.now,
          perUserMarketingCap: { maxPerWindow: 1, windowSeconds: 60 },
          rules: [{ recipients: [BRAZIL], times: 1, drop: { after: 'sent' } }],
        },
      );
      await send(s, marketingBody(BRAZIL));
      clock.advance(1_000);
      await send(s, marketingBody(BRAZIL));
      clock.advance(1_000);
      await send(s, marketingBody(BRAZIL));
      expect(s.calls().map((call) => call.delivery?.outcome)).toEqual(['dropped', 'delivered', 'failed']);
      expect(s.calls()[2]?.delivery?.failure).toEqual({ code: 131049, cause: 'per_user_cap', afterSent: false });
    });
  });

  describe('per-user marketing cap (131049)', () => {
    const cap = { maxPerWindow: 1, windowSeconds: 60, earlyResendBlocksSeconds: 30 };

    it('fails sends beyond the cap and early resends, then delivers once the window and the block have passed', async () => {
      const clock = steppedClock();
      const { s, r } = await setup({}, { now: clock.now, perUserMarketingCap: cap });
      const first = await sendAndSettle(s, marketingBody(BRAZIL));
      clock.advance(1_000);
      const beyondCap = await sendAndSettle(s, marketingBody(BRAZIL));
      clock.advance(20_000); // 21 s after the 131049: still blocked, although the cap is the same
      const early = await sendAndSettle(s, marketingBody(BRAZIL));
      clock.advance(31_000); // 31 s after the last 131049, 52 s after the delivery: the window still counts it
      const stillCapped = await sendAndSettle(s, marketingBody(BRAZIL));
      clock.advance(61_000);
      const later = await sendAndSettle(s, marketingBody(BRAZIL));

      expect([first, beyondCap, early, stillCapped, later].map((wamid) => fateOf(r, wamid))).toEqual([
        'read',
        'failed',
        'failed',
        'failed',
        'read',
      ]);
      expect(s.calls().map((call) => call.delivery?.failure?.cause)).toEqual([
        undefined,
        'per_user_cap',
        'early_resend',
        'per_user_cap',
        undefined,
      ]);
      expect(statusesOf(r, beyondCap)[0]?.errors).toEqual([META_131049]);
    });

    it('counts marketing templates only, and exempts the EEA, UK, Japan and South Korea', async () => {
      const clock = steppedClock();
      const { s } = await setup({}, { now: clock.now, perUserMarketingCap: cap });
      for (const to of ['+4915112345678', '+447700900123', '+819012345678', '+821012345678', '+35312345678']) {
        await send(s, marketingBody(to));
        await send(s, marketingBody(to));
      }
      await send(s, utilityBody(BRAZIL), { endpoint: 'messages' });
      await send(s, utilityBody(BRAZIL), { endpoint: 'messages' });
      await send(s, marketingBody(BRAZIL));
      await s.webhooksIdle();
      expect(s.calls().map((call) => call.delivery?.outcome)).toEqual(Array.from({ length: 13 }, () => 'delivered'));
      expect(['+41791234567', '+380501234567', '+15551234567'].map((number) => isExemptFromPerUserLimit(number))).toEqual([
        false,
        false,
        false,
      ]);
    });

    it('caps everyone when exemptCallingCodes is empty', async () => {
      const { s } = await setup({}, { perUserMarketingCap: { ...cap, exemptCallingCodes: [] } });
      await send(s, marketingBody('+4915112345678'));
      await send(s, marketingBody('+4915112345678'));
      expect(s.calls().map((call) => call.delivery?.failure?.code)).toEqual([undefined, 131049]);
    });

    it('exempts every recipient of a business number in an exempt country', async () => {
      const { s } = await setup({}, { perUserMarketingCap: cap, phoneNumbers: [{ id: PHONE_ID, displayPhoneNumber: '+4930123456' }] });
      await send(s, marketingBody(BRAZIL));
      await send(s, marketingBody(BRAZIL));
      expect(s.calls().map((call) => call.delivery?.outcome)).toEqual(['delivered', 'delivered']);
    });
  });

  describe('opt-outs and user messages', () => {
    it('emitUserPreference stop makes later marketing sends fail with 131050 until resume', async () => {
      const clock = steppedClock(1_750_000_000_000);
      const { s, r } = await setup({}, { now: clock.now });
      const stop = await s.emitUserPreference(BRAZIL, 'stop');
      expect(stop).toMatchObject({ kind: 'user_preferences', delivered: true, attempts: 1 });
      const change = r.received[0]?.payload.entry[0]?.changes[0];
      expect(change?.field).toBe('user_preferences');
      expect(change?.value.contacts).toEqual([{ profile: { name: expect.any(String) }, wa_id: BRAZIL_DIGITS }]);
      expect(r.userPreferences()).toEqual([
        {
          wa_id: BRAZIL_DIGITS,
          detail: 'User requested to stop marketing messages',
          category: 'marketing_messages',
          value: 'stop',
          timestamp: 1_750_000_000,
        },
      ]);
      expect(s.hasStoppedMarketing(BRAZIL_DIGITS)).toBe(true);

      const blocked = await sendAndSettle(s, marketingBody(BRAZIL));
      expect(statusesOf(r, blocked)).toEqual([
        expect.objectContaining({ status: 'failed', errors: [expect.objectContaining({ code: 131050 })] }),
      ]);
      const utility = await sendAndSettle(s, utilityBody(BRAZIL), { endpoint: 'messages' });
      expect(fateOf(r, utility)).toBe('read');

      await s.emitUserPreference(BRAZIL, 'resume');
      expect(r.userPreferences().at(-1)).toMatchObject({ value: 'resume', detail: 'User requested to resume marketing messages' });
      const resumed = await sendAndSettle(s, marketingBody(BRAZIL));
      expect(fateOf(r, resumed)).toBe('read');
    });

    it('emitQuickReply references the template’s wamid and the business number; emitTextMessage sends a text', async () => {
      const { s, r } = await setup();
      const wamid = await sendAndSettle(s, marketingBody(BRAZIL));
      await s.emitQuickReply(wamid, 'STOP_PROMOTIONS', 'Stop promotions');
      await s.emitTextMessage(BRAZIL, 'STOP');

      const [button, text] = r.messages();
      expect(button).toEqual({
        from: BRAZIL_DIGITS,
        id: expect.stringMatching(/^wamid\./),
        timestamp: expect.stringMatching(/^\d{10}$/),
        type: 'button',
        context: { from: '15550001111', id: wamid },
        button: { payload: 'STOP_PROMOTIONS', text: 'Stop promotions' },
      });
      expect(button?.id).not.toBe(wamid);
      expect(text).toMatchObject({ from: BRAZIL_DIGITS, type: 'text', text: { body: 'STOP' } });
      const value = r.received.at(-1)?.payload.entry[0]?.changes[0]?.value;
      expect(value?.contacts?.[0]?.wa_id).toBe(BRAZIL_DIGITS);
      expect(value?.metadata.phone_number_id).toBe(PHONE_ID);
      // Only WhatsApp's own Stop changes the state: a typed STOP is the business's to honour.
      expect(s.hasStoppedMarketing(BRAZIL)).toBe(false);
      await expect(s.emitQuickReply('wamid.unknown', 'X')).rejects.toThrow(/No accepted send with wamid/);
    });

    it('rule optOut: each channel follows delivery; only user_preferences blocks later sends', async () => {
      const { s, r } = await setup(
        {},
        {
          rules: [
            { recipients: ['+5511900000001'], optOut: { via: 'user_preferences' } },
            { recipients: ['+5511900000002'], optOut: { via: 'quick_reply' } },
            { recipients: ['+5511900000003'], optOut: { via: 'keyword', keyword: 'PARAR' } },
          ],
        },
      );
      const [viaPreferences, viaButton] = [
        await sendAndSettle(s, marketingBody('+5511900000001')),
        await sendAndSettle(s, marketingBody('+5511900000002')),
        await sendAndSettle(s, marketingBody('+5511900000003')),
      ];
      expect(r.userPreferences()).toEqual([expect.objectContaining({ wa_id: '5511900000001', value: 'stop' })]);
      const posted = s.webhookDeliveries();
      const preferencePost = posted.find((delivery) => delivery.kind === 'user_preferences');
      const deliveredPost = posted.find(
        (delivery) =>
          postedStatusesOf(s, viaPreferences).length > 0 &&
          JSON.stringify(delivery.payload).includes(`"${viaPreferences}","status":"delivered"`),
      );
      expect(preferencePost?.seq).toBeGreaterThan(deliveredPost?.seq ?? Infinity);
      expect(r.messages()).toEqual([
        expect.objectContaining({
          from: '5511900000002',
          type: 'button',
          context: { from: '15550001111', id: viaButton },
          button: { payload: 'STOP_PROMOTIONS', text: 'Stop promotions' },
        }),
        expect.objectContaining({ from: '5511900000003', type: 'text', text: { body: 'PARAR' } }),
      ]);

      const again = await Promise.all(['+5511900000001', '+5511900000002', '+5511900000003'].map((to) => send(s, marketingBody(to))));
      expect(again.map(outcomeOf)).toEqual(['accepted', 'accepted', 'accepted']);
      expect(
        s
          .calls()
          .slice(-3)
          .map((call) => call.delivery?.failure?.code),
      ).toEqual([131050, undefined, undefined]);
    });

    it('sets the opt-out state even without a target, and emits nothing', async () => {
      sim = await startSimulator({ webhooks: { appSecret: SECRET } });
      expect(await sim.emitUserPreference(BRAZIL, 'stop')).toBeUndefined();
      expect(sim.hasStoppedMarketing(BRAZIL)).toBe(true);
      expect(sim.webhookStats()).toMatchObject({ posted: 0, dropped: 1 });
    });
  });

  describe('delivery behaviour', () => {
    it('duplicateRate 1 posts every webhook twice, byte for byte', async () => {
      const { s, r } = await setup({ readRate: 0, duplicateRate: 1 });
      const wamid = await sendAndSettle(s, marketingBody(BRAZIL));
      expect(r.received).toHaveLength(4);
      const bodies = r.received.map((hook) => hook.raw.toString('utf8'));
      expect(new Set(bodies).size).toBe(2);
      expect(
        statusesOf(r, wamid)
          .map((status) => status.status)
          .sort(),
      ).toEqual(['delivered', 'delivered', 'sent', 'sent']);
      expect(s.webhookStats()).toMatchObject({ posted: 4, delivered: 4, duplicates: 2, failed: 0 });
      const duplicates = s.webhookDeliveries().filter((delivery) => delivery.duplicateOf !== undefined);
      expect(duplicates).toHaveLength(2);
    });

    it('reorder posts every message’s statuses out of logical order; timestamps keep the logical order', async () => {
      const clock = steppedClock();
      const { s, r } = await setup({ reorder: true, delayMs: 10 }, { now: clock.now });
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => send(s, marketingBody(`+55119000000${String(i).padStart(2, '0')}`))),
      );
      await s.webhooksIdle();
      // Posting order is the order of the records; arrival order may differ further, as HTTP requests race.
      for (const result of results) {
        const wamid = result.json.messages?.[0]?.id ?? '';
        expect(
          statusesOf(r, wamid)
            .map((status) => status.status)
            .sort(),
        ).toEqual(['delivered', 'read', 'sent']);
        const postedOrder = postedStatusesOf(s, wamid);
        expect(postedOrder.map((status) => status.status)).not.toEqual(['sent', 'delivered', 'read']);
        const logical = ['sent', 'delivered', 'read'].map((name) =>
          Number(postedOrder.find((status) => status.status === name)?.timestamp),
        );
        expect(logical).toEqual([...logical].sort((a, b) => a - b));
      }
      for (let length = 2; length <= 4; length += 1) {
        const permutation = outOfOrderPermutation(length, () => 0.999);
        expect(permutation).not.toEqual([...permutation].sort());
        expect([...permutation].sort()).toEqual(Array.from({ length }, (_, i) => i));
      }
    });

    it('maxStatusesPerPost batches statuses of one number into statuses, changes and entries', async () => {
      const { s, r } = await setup({ maxStatusesPerPost: 3, delayMs: 20 });
      await Promise.all(Array.from({ length: 9 }, (_, i) => send(s, marketingBody(`+55119000000${String(i).padStart(2, '0')}`))));
      await s.webhooksIdle();
      expect(r.statuses()).toHaveLength(27);
      const shapes = r.received.map(({ payload }) => ({
        entries: payload.entry.length,
        changes: payload.entry.flatMap((entry) => entry.changes).length,
        statuses: payload.entry.flatMap((entry) => entry.changes).flatMap((change) => change.value.statuses ?? []).length,
      }));
      expect(Math.max(...shapes.map((shape) => shape.statuses))).toBe(3);
      expect(r.received.length).toBeLessThan(27);
      expect(shapes.some((shape) => shape.statuses > 1 && shape.changes === 1)).toBe(true);
      expect(shapes.some((shape) => shape.changes > 1 && shape.entries === 1)).toBe(true);
      expect(shapes.some((shape) => shape.entries > 1)).toBe(true);
    });

    it('retries anything but 200 with exponential backoff until it is delivered', async () => {
      const { s, r } = await setup({ readRate: 0, retry: { initialDelayMs: 20, maxAttempts: 5 } });
      r.failNext(3, 500);
      const delivery = s.emitUserPreference(BRAZIL, 'stop');
      expect(await delivery).toMatchObject({ attempts: 4, delivered: true, lastStatus: 200 });
      expect(r.received.map((hook) => hook.answered)).toEqual([500, 500, 500, 200]);
      const gaps = r.received.slice(1).map((hook, i) => hook.arrivedAt - (r.received[i]?.arrivedAt ?? 0));
      for (const [i, gap] of gaps.entries()) expect(gap).toBeGreaterThanOrEqual(20 * 2 ** i - 2);
      expect(s.webhookStats()).toMatchObject({ posted: 4, delivered: 1, retried: 3, failed: 0 });
    });

    it('gives up after maxAttempts, and retries connection failures too', async () => {
      const { s, r } = await setup({ retry: { initialDelayMs: 5, maxAttempts: 3 } });
      r.answerAlways(503);
      expect(await s.emitUserPreference(BRAZIL, 'stop')).toMatchObject({ attempts: 3, delivered: false, lastStatus: 503 });
      await r.close();
      const refused = await s.emitTextMessage(BRAZIL, 'hi');
      expect(refused).toMatchObject({
        attempts: 3,
        delivered: false,
        lastStatus: undefined,
        lastError: expect.stringMatching(/ECONNREFUSED/),
      });
      expect(s.webhookStats()).toMatchObject({ posted: 6, delivered: 0, retried: 4, failed: 2 });
      receiver = undefined;
    });

    it('emits nothing without a target (or without webhook settings), and idles at once', async () => {
      receiver = await startWebhookReceiver(SECRET);
      sim = await startSimulator({ webhooks: { appSecret: SECRET } });
      await send(sim, marketingBody(BRAZIL));
      await sim.webhooksIdle();
      expect(sim.webhookStats()).toMatchObject({ posted: 0, dropped: 3, pending: 0 });
      await expect(sim.emitWebhook({})).rejects.toThrow(/No webhook target/);

      const plain = await startSimulator();
      try {
        plain.setWebhookTarget(receiver.url);
        await send(plain, marketingBody(BRAZIL));
        await plain.webhooksIdle();
        expect(plain.calls()[0]?.delivery?.outcome).toBe('delivered');
        expect(receiver.received).toHaveLength(0);
      } finally {
        await plain.stop();
      }
      expect(() => sim?.setWebhookTarget('ftp://example.com/')).toThrow(TypeError);
    });

    it('stop() clears every pending timer; reset() cancels them and forgets records and opt-outs', async () => {
      const { s, r } = await setup({ delayMs: 60_000 });
      await send(s, marketingBody(BRAZIL));
      expect(s.webhookStats().pending).toBeGreaterThan(0);
      await s.emitUserPreference('+5511900000009', 'stop');
      s.reset();
      expect(s.webhookStats()).toMatchObject({ pending: 0, posted: 0 });
      expect(s.webhookDeliveries()).toEqual([]);
      expect(s.hasStoppedMarketing('+5511900000009')).toBe(false);
      expect(s.webhookTarget()).toBe(r.url);

      await send(s, marketingBody(BRAZIL));
      expect(s.webhookStats().pending).toBeGreaterThan(0);
      await s.stop();
      expect(s.webhookStats().pending).toBe(0);
      await s.webhooksIdle();
      expect(r.received.filter((hook) => hook.payload.entry[0]?.changes[0]?.value.statuses)).toHaveLength(0);
    });
  });

  describe('control endpoints', () => {
    it('set the target, emit a user preference and list the webhooks over HTTP', async () => {
      receiver = await startWebhookReceiver(SECRET);
      sim = await startSimulator({ webhooks: { appSecret: SECRET, delayMs: 1 } });
      const post = (path: string, body: unknown): Promise<Response> =>
        fetch(`${sim?.url}/_sim/${path}`, { method: 'POST', body: JSON.stringify(body) });

      expect((await post('webhook-target', { url: 'not a url' })).status).toBe(400);
      const target = await post('webhook-target', { url: receiver.url });
      expect(await target.json()).toEqual({ ok: true, target: receiver.url });

      const preference = await post('user-preference', { waId: BRAZIL_DIGITS, value: 'stop' });
      expect(await preference.json()).toEqual({ ok: true, webhookSeq: 1 });
      expect((await post('user-preference', { waId: BRAZIL_DIGITS, value: 'maybe' })).status).toBe(400);
      expect((await post('quick-reply', { wamid: 'wamid.unknown', payload: 'STOP' })).status).toBe(404);
      expect(await (await post('text-message', { from: BRAZIL_DIGITS, body: 'hello' })).json()).toEqual({ ok: true, webhookSeq: 2 });
      await sim.webhooksIdle();

      const listing = (await (await fetch(`${sim.url}/_sim/webhooks?kind=user_preferences`)).json()) as {
        target: string;
        stats: { delivered: number };
        deliveries: Array<{ seq: number; kind: string; delivered: boolean }>;
      };
      expect(listing.target).toBe(receiver.url);
      expect(listing.stats.delivered).toBe(2);
      expect(listing.deliveries).toEqual([expect.objectContaining({ seq: 1, kind: 'user_preferences', delivered: true })]);

      await post('webhook-target', { url: null });
      expect(sim.webhookTarget()).toBeUndefined();
    });
  });

  describe('scenario fields', () => {
    it('fills webhook and cap defaults', () => {
      const scenario = parseScenario({ webhooks: { appSecret: 's' }, perUserMarketingCap: { maxPerWindow: 2 } });
      expect(scenario.webhooks).toEqual({
        appSecret: 's',
        wabaId: '100000000000000',
        delayMs: { min: 50, max: 300 },
        duplicateRate: 0,
        reorder: false,
        readRate: 0.6,
        maxStatusesPerPost: 1,
        retry: { initialDelayMs: 500, maxAttempts: 8 },
      });
      expect(scenario.perUserMarketingCap).toMatchObject({ maxPerWindow: 2, windowSeconds: 86_400, earlyResendBlocksSeconds: 86_400 });
      expect(scenario.perUserMarketingCap?.exemptCallingCodes).toEqual(
        expect.arrayContaining(['30', '44', '47', '49', '81', '82', '354', '423']),
      );
      expect(scenario.perUserMarketingCap?.exemptCallingCodes).not.toContain('41');
    });

    it.each([
      ['webhooks without appSecret', { webhooks: {} }, 'webhooks.appSecret:'],
      ['a duplicateRate above 1', { webhooks: { appSecret: 's', duplicateRate: 2 } }, 'webhooks.duplicateRate:'],
      ['an unknown webhooks field', { webhooks: { appSecret: 's', secret: 'x' } }, 'webhooks.secret: unknown field'],
      [
        'optOut with async',
        { rules: [{ async: { failWith: 131049 }, optOut: { via: 'keyword' } }] },
        'rules[0].optOut: needs a delivered message',
      ],
      ['fallback with an error', { rules: [{ error: 131000, fallback: true }] }, 'rules[0].fallback: only applies to accepted sends'],
      ['an unknown optOut channel', { rules: [{ optOut: { via: 'email' } }] }, 'rules[0].optOut.via:'],
      ['async.after other than sent', { rules: [{ async: { failWith: 131049, after: 'delivered' } }] }, 'rules[0].async.after:'],
      ['drop with async', { rules: [{ drop: {}, async: { failWith: 131049 } }] }, 'rules[0].drop: cannot be combined with async'],
      [
        'drop with optOut',
        { rules: [{ drop: { after: 'sent' }, optOut: { via: 'user_preferences' } }] },
        'rules[0].drop: cannot be combined with optOut',
      ],
      ['drop with an error', { rules: [{ error: 131000, drop: {} }] }, 'rules[0].drop: only applies to accepted sends'],
      ['drop.after other than sent', { rules: [{ drop: { after: 'delivered' } }] }, 'rules[0].drop.after:'],
      ['an unknown drop field', { rules: [{ drop: { afterMs: 5 } }] }, 'rules[0].drop.afterMs: unknown field'],
    ])('rejects %s', (_label, input, expected) => {
      let issues: readonly string[] = [];
      try {
        parseScenario(input);
      } catch (error) {
        if (error instanceof ScenarioError) issues = error.issues;
      }
      expect(issues.some((issue) => issue.startsWith(expected))).toBe(true);
    });
  });

  describe('payload builders', () => {
    it('build Meta’s documented shapes for tests to reuse', () => {
      const account = { wabaId: WABA_ID, metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' } };
      const failed = statusObject({
        wamid: 'wamid.a',
        status: 'failed',
        timestamp: 1_750_030_073,
        recipientId: '4915112345678',
        pricingCategory: 'marketing_lite',
        errorCode: 131049,
      });
      expect(failed).toEqual({
        id: 'wamid.a',
        status: 'failed',
        timestamp: '1750030073',
        recipient_id: '4915112345678',
        errors: [META_131049],
      });
      expect(() => statusObject({ wamid: 'wamid.a', status: 'failed', timestamp: 1, recipientId: '1' })).toThrow(/errorCode/);
      const sent = statusObject({ wamid: 'wamid.b', status: 'sent', timestamp: 1, recipientId: '1', pricingCategory: 'marketing' });
      expect(sent).not.toHaveProperty('pricing');
      expect(statusPayload({ ...account, statuses: [failed, sent], layout: 'entries' }).entry).toHaveLength(2);
      expect(statusPayload({ ...account, statuses: [failed, sent], layout: 'changes' }).entry[0]?.changes).toHaveLength(2);
      const reply = quickReplyPayload({
        ...account,
        waId: '4915112345678',
        messageId: 'wamid.r',
        contextWamid: 'wamid.a',
        payload: 'P',
        text: 'T',
        timestamp: 5,
        profileName: 'Kim',
      });
      expect(reply.entry[0]?.changes[0]).toEqual({
        value: {
          messaging_product: 'whatsapp',
          metadata: account.metadata,
          contacts: [{ profile: { name: 'Kim' }, wa_id: '4915112345678' }],
          messages: [
            {
              from: '4915112345678',
              id: 'wamid.r',
              timestamp: '5',
              type: 'button',
              context: { from: '15550783881', id: 'wamid.a' },
              button: { payload: 'P', text: 'T' },
            },
          ],
        },
        field: 'messages',
      });
    });
  });
});
