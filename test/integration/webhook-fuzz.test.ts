import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import fc from 'fast-check';
import { RequestCounter } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { LOCAL_SECRETS } from '../../local/deployment.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { metaStatus, statusesPayload } from '../helpers/webhook-factories.ts';

/**
 * Random requests to the webhook through its (local) function URL: signature headers of every
 * form, bodies of every shape, size and encoding, GETs with random hub.* parameters. Every
 * answer is one the docs list (docs/meta-api.md#answers-of-the-webhook), never an error, and
 * nothing reaches the status queue unless the body's signature is right.
 */
const MAX_BODY_BYTES = 65_536;
const webhookRequests = new RequestCounter();
const harness = await startSendHarness(baseScenario(), {
  startStatusPoller: false,
  functionRequestCounters: { webhook: webhookRequests },
  env: { WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY_BYTES) },
});
const url = new URL(harness.deployment.webhookUrl!);
const queueWrites = () => webhookRequests.total('sqs');

/** The answers docs/meta-api.md lists for requests (429 and 502 are the platform's: throttling, a failed queue write). */
const DOCUMENTED = [200, 400, 401, 403, 405, 413];

interface Answer {
  status: number;
  text: string;
}

/** A raw HTTP request: header values as bytes (latin1), repeated headers, any body bytes, which fetch would not all send. */
function send(method: string, path: string, headers: Record<string, string | string[]>, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node frames a DELETE's or an OPTIONS' body no other way.
    const framed = body === undefined ? headers : { ...headers, 'content-length': String(body.length) };
    const outgoing = request({ host: url.hostname, port: url.port, method, path, headers: framed }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const hmacHex = (body: Buffer, secret: string = LOCAL_SECRETS.appSecret) => createHmac('sha256', secret).update(body).digest('hex');
const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Buffer.from(b).toString('hex'));

/** The `X-Hub-Signature-256` header: absent, one value or several, right or wrong in every way that matters. */
type SignatureForm = (body: Buffer) => string | string[] | undefined;
const signatureForms: fc.Arbitrary<{ name: string; header: SignatureForm }> = fc.oneof(
  // Signed often enough that every body shape reaches the parsing, scoping and queueing behind the signature.
  { arbitrary: fc.constant({ name: 'valid', header: (body: Buffer) => `sha256=${hmacHex(body)}` }), weight: 8 },
  fc.constant({ name: 'missing', header: () => undefined }),
  fc.constantFrom('', ' ', 'sha256=').map((value) => ({ name: 'empty', header: () => value })),
  fc.constant({ name: 'uppercase hex', header: (body: Buffer) => `sha256=${hmacHex(body).toUpperCase()}` }),
  fc
    .constantFrom('sha1=', 'sha512=', 'SHA-256=', 'sha256:', '', 'sha256 =')
    .map((prefix) => ({ name: 'wrong prefix', header: (body: Buffer) => `${prefix}${hmacHex(body)}` })),
  fc
    .integer({ min: -63, max: 8 })
    .filter((n) => n !== 0)
    .map((delta) => ({
      name: 'wrong length',
      header: (body: Buffer) => `sha256=${delta < 0 ? hmacHex(body).slice(0, 64 + delta) : hmacHex(body) + 'a'.repeat(delta)}`,
    })),
  fc.constant({ name: 'another secret', header: (body: Buffer) => `sha256=${hmacHex(body, 'not-the-app-secret')}` }),
  hex(32).map((digest) => ({ name: 'random digest', header: () => `sha256=${digest}` })),
  fc.constant({ name: 'repeated', header: (body: Buffer) => [`sha256=${hmacHex(body)}`, `sha256=${hmacHex(body)}`] }),
  hex(32).map((digest) => ({ name: 'two values', header: (body: Buffer) => [`sha256=${hmacHex(body)}`, `sha256=${digest}`] })),
  fc
    .string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((code) => String.fromCharCode(code)), minLength: 1, maxLength: 8 })
    .map((noise) => ({ name: 'non-ASCII', header: (body: Buffer) => `sha256=${hmacHex(body).slice(0, 64 - noise.length)}${noise}` })),
  // Printable ASCII only: HTTP itself refuses control characters in a header value.
  fc
    .string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 100 })
    .map((text) => ({ name: 'random text', header: () => text })),
);

const served = { entry: '100000000000000', number: '100000000000001' };
const changeOf = (value: unknown, accountId: string = served.entry) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: accountId, changes: [{ field: 'messages', value }] }],
});

/** A body with a short description in counterexamples, not its bytes. */
function shape(name: string, bytes: Buffer): { name: string; bytes: Buffer } {
  const described: { name: string; bytes: Buffer; [fc.toStringMethod]: () => string } = {
    name,
    bytes,
    [fc.toStringMethod]: () => `${name} (${bytes.length} bytes: ${bytes.subarray(0, 80).toString('latin1')}…)`,
  };
  return described;
}

/** Bodies of every shape: random JSON, Meta's shape with random or wrong parts, deep nesting, huge arrays, not JSON at all. */
const withStatuses = (statuses: unknown) => JSON.stringify(changeOf({ metadata: { phone_number_id: served.number }, statuses }));
const bodyShapes: fc.Arbitrary<{ name: string; bytes: Buffer }> = fc.oneof(
  fc.json({ maxDepth: 6 }).map((text) => shape('random JSON', Buffer.from(text))),
  fc
    .array(fc.anything({ maxDepth: 4, maxKeys: 5 }), { maxLength: 20 })
    .map((statuses) => shape('random statuses', Buffer.from(withStatuses(statuses)))),
  fc
    .record({
      object: fc.oneof(fc.constant('whatsapp_business_account'), fc.string(), fc.integer(), fc.constant(null)),
      entryId: fc.oneof(fc.constant(served.entry), fc.constant('102290129340398'), fc.integer(), fc.constant(undefined)),
      field: fc.oneof(fc.constantFrom('messages', 'user_preferences', 'message_template_status_update'), fc.integer()),
      value: fc.oneof(
        fc.record({
          metadata: fc.oneof(
            fc.record({ phone_number_id: fc.oneof(fc.constantFrom(served.number, '106540352242922'), fc.integer()) }),
            fc.string(),
          ),
          statuses: fc.oneof(
            fc.constant([metaStatus({ wamid: 'wamid.fuzz', status: 'sent', recipient: '+4915112345678' })]),
            fc.string(),
            fc.object(),
          ),
        }),
        fc.array(fc.integer()),
        fc.constant(null),
      ),
    })
    .map(({ object, entryId, field, value }) =>
      shape('wrong types in known fields', Buffer.from(JSON.stringify({ object, entry: [{ id: entryId, changes: [{ field, value }] }] }))),
    ),
  // Unbiased depths: fast-check's bias towards small values would hardly ever reach the thousands of levels that overflow a stack.
  fc
    .record({ depth: fc.noBias(fc.integer({ min: 30, max: 20_000 })), objects: fc.boolean() })
    .map(({ depth, objects }) =>
      shape(
        'deep nesting',
        Buffer.from(
          withStatuses(['DEEP']).replace(
            '"DEEP"',
            objects ? `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`,
          ),
        ),
      ),
    ),
  fc.noBias(fc.integer({ min: 100, max: 4_000 })).map((length) => shape('huge array', Buffer.from(withStatuses(Array(length).fill(0))))),
  fc.constant(shape('empty', Buffer.alloc(0))),
  fc
    .integer({ min: 1, max: 4_096 })
    .map((extra) =>
      shape(
        'over WEBHOOK_MAX_BODY_BYTES',
        Buffer.from(withStatuses([]).replace('"statuses":[]', `"statuses":[],"pad":"${'x'.repeat(MAX_BODY_BYTES + extra)}"`)),
      ),
    ),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((raw) => shape('random bytes', Buffer.from(raw))),
  fc
    .uint8Array({ minLength: 1, maxLength: 4 })
    .map((junk) =>
      shape(
        'invalid UTF-8 in a string',
        Buffer.concat([
          Buffer.from('{"object":"whatsapp_business_account","entry":[],"x":"'),
          Buffer.from([0xff]),
          Buffer.from(junk.map((b) => b | 0x80)),
          Buffer.from('"}'),
        ]),
      ),
    ),
);

/** How a function URL is sent the body: as text, or base64 with the flag set (any other content type). */
const contentTypes = fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', undefined);

/** Whether the handler sees the bytes that were sent: a text body that is not valid UTF-8 reaches it altered. */
function arrivesIntact(bytes: Buffer, contentType: string | undefined): boolean {
  const asText = contentType !== undefined && /^(text\/|application\/json)/.test(contentType);
  return !asText || Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

describe('random POSTs', () => {
  it('queues a valid signed body (the count this file watches moves when the webhook queues)', async () => {
    const body = Buffer.from(JSON.stringify(statusesPayload([{ wamid: 'wamid.seen', status: 'sent', recipient: '+4915112345678' }])));
    const before = queueWrites();
    const answer = await send('POST', '/', { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${hmacHex(body)}` }, body);
    expect(answer.status).toBe(200);
    expect(queueWrites()).toBe(before + 1);
  });

  it('answers every POST with a documented code, and queues nothing without a valid signature', async () => {
    await fc.assert(
      fc.asyncProperty(signatureForms, bodyShapes, contentTypes, async (signature, body, contentType) => {
        const header = signature.header(body.bytes);
        const headers: Record<string, string | string[]> = {};
        if (contentType) headers['content-type'] = contentType;
        if (header !== undefined) headers['x-hub-signature-256'] = header;
        const before = queueWrites();
        const answer = await send('POST', '/', headers, body.bytes);
        const written = queueWrites() - before;

        expect(DOCUMENTED).toContain(answer.status);
        const values = header === undefined ? [] : [header].flat();
        const signedRight = values.length === 1 && values[0]!.trim().toLowerCase() === `sha256=${hmacHex(body.bytes)}`;
        const valid = signedRight && arrivesIntact(body.bytes, contentType);
        if (body.bytes.length > MAX_BODY_BYTES) expect(answer.status).toBe(413);
        else if (values.every((value) => value.trim() === '')) expect(answer.status).toBe(401);
        else if (!valid) expect(answer.status).toBe(403);
        else expect([200, 400]).toContain(answer.status);
        if (!valid) expect(written).toBe(0);
      }),
      { numRuns: 800 },
    );
  }, 120_000);

  it('answers other methods 405', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'),
        fc.uint8Array({ maxLength: 50 }),
        async (method, body) => {
          const answer = await send(method, '/', {}, method === 'HEAD' ? undefined : Buffer.from(body));
          expect(answer.status).toBe(405);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('random GETs', () => {
  const token = LOCAL_SECRETS.verifyToken;
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  const tokens = fc.oneof(
    fc.constant(token),
    text,
    fc.constant(token.toUpperCase()),
    fc.constant(`${token} `),
    fc.constant(token.slice(0, -1)),
    fc.constantFrom('é', '日', '😀').map((char) => char.repeat(token.length)),
    fc.constant('é'.repeat(token.length / 2)),
  );
  const param = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

  it('answers 200 with the challenge exactly when the mode is subscribe and the token is right, else 403', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          'hub.mode': param(fc.oneof(fc.constant('subscribe'), text)),
          'hub.challenge': param(fc.oneof(fc.integer({ min: 0 }).map(String), text)),
          'hub.verify_token': param(tokens),
        }),
        fc.dictionary(text, text, { maxKeys: 3 }),
        async (hub, other) => {
          const query = new URLSearchParams();
          for (const [name, value] of Object.entries({ ...other, ...hub })) if (value !== undefined) query.set(name, value);
          const answer = await send('GET', `/?${query}`, {});
          const right = hub['hub.mode'] === 'subscribe' && hub['hub.verify_token'] === token && hub['hub.challenge'] !== undefined;
          expect(answer).toEqual(right ? { status: 200, text: hub['hub.challenge'] } : { status: 403, text: 'forbidden' });
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);
});
