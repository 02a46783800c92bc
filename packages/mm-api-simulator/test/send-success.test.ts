import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/server.ts';
import { marketingBody, outcomeOf, PHONE_ID, send, TOKEN, template } from './helpers/sim-client.ts';

describe('simulator: accepted sends', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.stop());
  beforeEach(() => sim.reset());

  it('listens on 127.0.0.1 and answers a valid MM API send with Meta’s success body', async () => {
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const result = await send(sim, marketingBody('+4915112345678'));
    expect(result.status).toBe(200);
    expect(result.json).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+4915112345678', wa_id: '4915112345678' }],
      messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9+/=]+$/), message_status: 'accepted' }],
    });
  });

  it('echoes `to` exactly as sent and strips it to digits for wa_id', async () => {
    const result = await send(sim, marketingBody('49 151 1234-5679'));
    expect(result.json.contacts).toEqual([{ input: '49 151 1234-5679', wa_id: '4915112345679' }]);
  });

  it('accepts a business-scoped `recipient` instead of `to`, and prefers `to` when both are sent', async () => {
    const byRecipient = await send(sim, { ...marketingBody('x'), to: undefined, recipient: 'US.13491208655302741918' });
    expect(byRecipient.json.contacts?.[0]?.input).toBe('US.13491208655302741918');
    const both = await send(sim, marketingBody('+4915100000001', { recipient: 'US.1' }));
    expect(both.json.contacts?.[0]?.input).toBe('+4915100000001');
  });

  it('gives every accepted send a unique wamid, across simulators too', async () => {
    // Above the default 80/s, so that throughput does not get in the way.
    const fast = { phoneNumbers: [{ id: PHONE_ID, ratePerSecond: 1000 }] };
    const [one, other] = await Promise.all([startSimulator(fast), startSimulator(fast)]);
    try {
      const results = await Promise.all(
        Array.from({ length: 400 }, (_, i) => send(i % 2 ? one : other, marketingBody(`+49151${String(i).padStart(7, '0')}`))),
      );
      const ids = results.map((result) => result.json.messages?.[0]?.id);
      expect(ids.every((id) => typeof id === 'string')).toBe(true);
      expect(new Set(ids).size).toBe(400);
    } finally {
      await Promise.all([one.stop(), other.stop()]);
    }
  });

  it('accepts the documented optional fields', async () => {
    const result = await send(
      sim,
      marketingBody('+4915112345678', {
        product_policy: 'STRICT',
        message_activity_sharing: true,
        biz_opaque_callback_data: 'campaign=c1;job=42',
      }),
    );
    expect(result.status).toBe(200);
    const fallback = await send(
      sim,
      marketingBody('+4915112345670', { product_policy: 'CLOUD_API_FALLBACK', message_activity_sharing: false }),
    );
    expect(fallback.status).toBe(200);
  });

  it('takes header, button and footer components without counting them as body parameters', async () => {
    const body = marketingBody('+4915112345678');
    const components = [
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/a.png' } }] },
      { type: 'BODY', parameters: [{ type: 'text', text: 'Jasper' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'autumn?c=abc' }] },
      { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'STOP_PROMOS' }] },
    ];
    const result = await send(sim, { ...body, template: { ...(body.template as object), components } });
    expect(result.status).toBe(200);
  });

  it('accepts the token as Graph’s access_token query parameter', async () => {
    const response = await fetch(`${sim.url}/v24.0/${PHONE_ID}/marketing_messages?access_token=${TOKEN}`, {
      method: 'POST',
      body: JSON.stringify(marketingBody('+4915112345678')),
    });
    expect(response.status).toBe(200);
  });

  describe('the Cloud API /messages endpoint', () => {
    it('sends templates of any category, including utility', async () => {
      const result = await send(sim, { ...marketingBody('+4915112345678'), template: template('order_update') }, { endpoint: 'messages' });
      expect(result.status).toBe(200);
      expect(result.json.messages?.[0]?.message_status).toBe('accepted');
    });

    it('accepts a text message (type defaults to text) and rejects unsupported types with 131051', async () => {
      const text = await send(sim, { messaging_product: 'whatsapp', to: '+4915112345678', text: { body: 'hi' } }, { endpoint: 'messages' });
      expect(text.status).toBe(200);
      const emptyText = await send(
        sim,
        { messaging_product: 'whatsapp', to: '+4915112345678', type: 'text', text: {} },
        { endpoint: 'messages' },
      );
      expect(outcomeOf(emptyText)).toBe(131008);
      const odd = await send(sim, { messaging_product: 'whatsapp', to: '+4915112345678', type: 'hologram' }, { endpoint: 'messages' });
      expect(outcomeOf(odd)).toBe(131051);
    });

    it('does not take the MM-only product_policy field', async () => {
      const result = await send(sim, marketingBody('+4915112345678', { product_policy: 'STRICT' }), { endpoint: 'messages' });
      expect(outcomeOf(result)).toBe(100);
    });
  });

  describe('routing', () => {
    it('answers unknown paths with a Graph-style 404', async () => {
      for (const path of ['/v24.0/100000000000001/other', '/foo', '/24.0/100000000000001/messages']) {
        const response = await fetch(`${sim.url}${path}`, { method: 'POST', body: '{}' });
        expect(response.status).toBe(404);
        const json = (await response.json()) as { error: { code: number; fbtrace_id: string; message: string } };
        expect(json.error.code).toBe(2500);
        expect(json.error.message).toContain('Unknown path components');
        expect(json.error.fbtrace_id).toMatch(/^\S{10,}$/);
      }
    });

    it('answers other methods on a send path with code 100', async () => {
      const response = await fetch(`${sim.url}/v24.0/${PHONE_ID}/marketing_messages`);
      expect(response.status).toBe(400);
      const json = (await response.json()) as { error: { code: number; type: string } };
      expect(json.error).toMatchObject({ code: 100, type: 'GraphMethodException' });
    });

    it('accepts any vN.N version', async () => {
      expect((await send(sim, marketingBody('+4915112345678'), { version: 'v26.0' })).status).toBe(200);
    });
  });

  describe('call record', () => {
    it('records every send with its outcome, in process and over HTTP', async () => {
      const ok = await send(sim, marketingBody('+4915112345678', { biz_opaque_callback_data: 'job=1' }));
      await send(sim, marketingBody('+4915112345678'), { token: 'wrong' });
      await send(sim, { ...marketingBody('+4915112345679'), template: template('autumn_sale', 'fr_FR') });

      const calls = sim.calls();
      expect(calls).toHaveLength(3);
      expect(calls[0]).toMatchObject({
        seq: 1,
        endpoint: 'marketing_messages',
        apiVersion: 'v24.0',
        phoneNumberId: PHONE_ID,
        recipient: '+4915112345678',
        template: 'autumn_sale',
        language: 'en_US',
        outcome: 'accepted',
        httpStatus: 200,
        wamid: ok.json.messages?.[0]?.id,
        messageStatus: 'accepted',
        body: { biz_opaque_callback_data: 'job=1' },
      });
      expect(calls[0]?.at).toBeGreaterThan(Date.now() - 10_000);
      expect(calls[1]?.outcome).toBe(190);
      expect(calls[2]).toMatchObject({ outcome: 132001, language: 'fr_FR' });

      expect(sim.acceptedFor('4915112345678')).toHaveLength(1);
      expect(sim.acceptedFor('+4915112345679')).toHaveLength(0);
      expect(sim.stats()).toEqual({ total: 3, recorded: 3, byOutcome: { accepted: 1, '190': 1, '132001': 1 } });

      const overHttp = (await (await fetch(`${sim.url}/_sim/calls`)).json()) as { calls: unknown[] };
      expect(overHttp.calls).toHaveLength(3);
      const filtered = (await (await fetch(`${sim.url}/_sim/calls?recipient=%2B4915112345678&outcome=accepted`)).json()) as {
        calls: { wamid: string }[];
      };
      expect(filtered.calls.map((call) => call.wamid)).toEqual([ok.json.messages?.[0]?.id]);
      expect(await (await fetch(`${sim.url}/_sim/stats`)).json()).toEqual(sim.stats());
    });

    it('records a malformed body as undefined and the outcome as 100', async () => {
      await send(sim, undefined, { rawBody: '{"messaging_product":' });
      expect(sim.calls()[0]).toMatchObject({ outcome: 100, body: undefined, recipient: undefined });
    });

    it('clears calls and stats on reset(), in process and with POST /_sim/reset', async () => {
      await send(sim, marketingBody('+4915112345678'));
      sim.reset();
      expect(sim.calls()).toEqual([]);
      await send(sim, marketingBody('+4915112345678'));
      const response = await fetch(`${sim.url}/_sim/reset`, { method: 'POST' });
      expect(response.status).toBe(200);
      expect(sim.stats().total).toBe(0);
    });

    it('notifies onCall listeners with the record', async () => {
      const seen: unknown[] = [];
      const unsubscribe = sim.onCall((call) => seen.push(call.outcome));
      await send(sim, marketingBody('+4915112345678'));
      unsubscribe();
      await send(sim, marketingBody('+4915112345678'));
      expect(seen).toEqual(['accepted']);
    });

    it('drops the oldest records past maxRecordedCalls but keeps exact stats', async () => {
      const small = await startSimulator({ maxRecordedCalls: 10 });
      try {
        for (let i = 0; i < 25; i += 1) await send(small, marketingBody(`+491510000${String(i).padStart(4, '0')}`));
        expect(small.stats().total).toBe(25);
        expect(small.calls().length).toBeLessThanOrEqual(10);
        expect(small.calls().at(-1)?.seq).toBe(25);
      } finally {
        await small.stop();
      }
    });
  });
});
