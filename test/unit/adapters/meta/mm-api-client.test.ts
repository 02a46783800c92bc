import { describe, expect, it } from 'vitest';
import { createMmApiClient, parseResponse } from '../../../../lib/adapters/meta/mm-api-client.ts';

describe('parseResponse', () => {
  it('reads the wamid, message_status and wa_id of a success', () => {
    const body = {
      messaging_product: 'whatsapp',
      contacts: [{ input: '+4915112345678', wa_id: '4915112345678' }],
      messages: [{ id: 'wamid.HBgL', message_status: 'accepted' }],
    };
    expect(parseResponse(200, JSON.stringify(body))).toEqual({
      kind: 'accepted',
      wamid: 'wamid.HBgL',
      messageStatus: 'accepted',
      waId: '4915112345678',
    });
  });

  it('accepts a success without contacts (the wa_id is then unknown)', () => {
    const body = { messaging_product: 'whatsapp', messages: [{ id: 'wamid.HBgL' }] };
    expect(parseResponse(200, JSON.stringify(body))).toEqual({ kind: 'accepted', wamid: 'wamid.HBgL', messageStatus: 'accepted' });
  });

  it('reads code, details and fbtrace_id of an error, whatever the HTTP status', () => {
    const body = {
      error: {
        message: '(#130429) Rate limit hit',
        type: 'OAuthException',
        code: 130429,
        error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
        fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      },
    };
    expect(parseResponse(400, JSON.stringify(body))).toEqual({
      kind: 'meta_error',
      code: 130429,
      message: '(#130429) Rate limit hit',
      details: 'Cloud API message throughput has been reached.',
      fbtraceId: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      httpStatus: 400,
    });
    expect(parseResponse(200, JSON.stringify({ error: { code: 131000, message: 'x' } }))).toMatchObject({
      kind: 'meta_error',
      code: 131000,
    });
  });

  it('treats an unreadable 200 as unknown, never as a reason to resend', () => {
    expect(parseResponse(200, '<html>')).toMatchObject({ kind: 'unknown' });
    expect(parseResponse(200, '{"messages":[]}')).toMatchObject({ kind: 'unknown' });
  });

  it('treats a bare 503 as not sent and other bare errors as unknown', () => {
    expect(parseResponse(503, 'Service Unavailable')).toMatchObject({ kind: 'not_sent' });
    expect(parseResponse(504, '')).toMatchObject({ kind: 'unknown' });
    expect(parseResponse(500, 'oops')).toMatchObject({ kind: 'unknown' });
  });
});

describe('the access token after a refusal', () => {
  const answering = (status: number, body: unknown) => async () => new Response(JSON.stringify(body), { status });
  const send = async (answer: () => Promise<Response>) => {
    let forgotten = 0;
    const accessToken = Object.assign(async () => 'token', { forget: () => forgotten++ });
    const client = createMmApiClient({ baseUrl: 'https://graph.test', apiVersion: 'v1', accessToken, timeoutMs: 1_000, fetch: answer });
    const outcome = await client.sendMarketingMessage('1', {} as never);
    return { outcome, forgotten };
  };

  it('is forgotten when Meta refuses it (190), so the next call reads it again', async () => {
    const refused = await send(answering(401, { error: { code: 190, message: 'expired' } }));
    expect(refused).toMatchObject({ outcome: { kind: 'meta_error', code: 190 }, forgotten: 1 });
  });

  it('is kept for any other answer', async () => {
    expect((await send(answering(400, { error: { code: 131026, message: 'undeliverable' } }))).forgotten).toBe(0);
    expect((await send(answering(200, { messages: [{ id: 'wamid.1' }] }))).forgotten).toBe(0);
  });
});
