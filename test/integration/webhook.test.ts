import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { queueOf, RequestCounter } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { servedAccounts } from '../../lib/domain/whatsapp-accounts.ts';
import { createLogger } from '../../lib/observability.ts';
import { handleWebhookRequest, type WebhookRejection, type WebhookRuntime } from '../../lib/webhook/handle-request.ts';
import { signatureFor } from '../../lib/webhook/signature.ts';
import { countWebhookRejection } from '../../lib/webhook/webhook-metrics.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import {
  aWebhookRuntime,
  functionUrlPost,
  HANDLER_APP_SECRET,
  metaStatus,
  postWebhook,
  statusesPayload,
  userPreferencePayload,
} from '../helpers/webhook-factories.ts';

/**
 * The webhook function behind its (local) function URL: verification, signatures and what it
 * puts on the status queue. The status function is not polled here, so the queue can be read.
 */
const webhookRequests = new RequestCounter();
const harness = await startSendHarness(baseScenario(), {
  startStatusPoller: false,
  functionRequestCounters: { webhook: webhookRequests },
  // Every secret the webhook needs is read from SSM anew, so the count of reads shows each request's.
  env: { TOKEN_CACHE_SECONDS: '0' },
});
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;
const secretReads = () => webhookRequests.total('ssm');

async function statusQueueBodies(): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueOf(harness.deployment.resources, 'StatusQueue').url,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 600,
      }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body!)));
  }
}

describe('GET verification', () => {
  it('answers the challenge for the right verify token', async () => {
    const response = await fetch(`${url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=local-verify-token`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('1158201444');
  });

  it.each([
    ['a wrong token', 'hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess'],
    ['a token of another length', 'hub.mode=subscribe&hub.challenge=1&hub.verify_token=local-verify-token-2'],
    ['no token', 'hub.mode=subscribe&hub.challenge=1'],
    ['another mode', 'hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=local-verify-token'],
    [
      'a multi-byte token as long as the right one',
      `hub.mode=subscribe&hub.challenge=1&hub.verify_token=${encodeURIComponent('é'.repeat(18))}`,
    ],
    [
      'a multi-byte token as many bytes long as the right one',
      `hub.mode=subscribe&hub.challenge=1&hub.verify_token=${encodeURIComponent('é'.repeat(9))}`,
    ],
    ['the right token in upper case', 'hub.mode=subscribe&hub.challenge=1&hub.verify_token=LOCAL-VERIFY-TOKEN'],
  ])('answers 403 for %s', async (_name, query) => {
    const response = await fetch(`${url}?${query}`);
    expect(response.status).toBe(403);
    expect(await response.text()).toBe('forbidden');
  });

  it("reads the verify token only for a request that could be Meta's", async () => {
    const before = secretReads();
    expect((await fetch(`${url}?hub.mode=subscribe&hub.challenge=1`)).status).toBe(403);
    expect((await fetch(`${url}?hub.challenge=1&hub.verify_token=local-verify-token`)).status).toBe(403);
    expect(secretReads()).toBe(before);
    expect((await fetch(`${url}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess`)).status).toBe(403);
    expect(secretReads()).toBe(before + 1);
  });
});

describe('POST signature check', () => {
  const payload = statusesPayload([{ wamid: 'wamid.sig', status: 'delivered', recipient: '+4915112345678' }]);

  it('queues a correctly signed payload and answers 200', async () => {
    expect((await postWebhook(url, payload)).status).toBe(200);
    const bodies = await statusQueueBodies();
    expect(bodies).toEqual([
      {
        v: 1,
        receivedAt: expect.any(String),
        event: { kind: 'status', phoneNumberId: '100000000000001', status: expect.objectContaining({ id: 'wamid.sig' }) },
      },
    ]);
  });

  it.each([
    ['a missing signature', { signature: 'missing' as const }, 401],
    ['a signature made with the wrong secret', { signature: 'wrong-secret' as const }, 403],
    ['a malformed signature header', { signature: 'garbage' as const }, 403],
    ['an altered body', { sendInstead: JSON.stringify(payload).replace('delivered', 'read') }, 403],
  ])('rejects %s and queues nothing', async (_name, options, status) => {
    expect((await postWebhook(url, payload, options)).status).toBe(status);
    expect(await statusQueueBodies()).toEqual([]);
  });

  it('refuses an unsigned or malformed signature before it reads the app secret', async () => {
    const before = secretReads();
    expect((await postWebhook(url, payload, { signature: 'missing' })).status).toBe(401);
    expect((await postWebhook(url, payload, { signature: 'garbage' })).status).toBe(403);
    expect(secretReads()).toBe(before);
    expect((await postWebhook(url, payload, { signature: 'wrong-secret' })).status).toBe(403);
    expect(secretReads()).toBe(before + 1);
    expect(await statusQueueBodies()).toEqual([]);
  });

  it('checks the raw bytes, not a re-serialised JSON', async () => {
    const raw =
      '{"object":"whatsapp_business_account",  "entry":[{"id":"100000000000000","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.raw","status":"sent","timestamp":"1750030073","recipient_id":"4915112345678"}],"metadata":{"phone_number_id":"100000000000001"}}}]}]}';
    expect((await postWebhook(url, raw)).status).toBe(200);
    expect(await statusQueueBodies()).toHaveLength(1);
  });
});

describe('POST body handling', () => {
  it('answers 400 to a signed body that is not JSON', async () => {
    expect((await postWebhook(url, '{"object":')).status).toBe(400);
  });

  it('answers 400 to JSON that is not a WhatsApp Business Account payload', async () => {
    expect((await postWebhook(url, { hello: 'world' })).status).toBe(400);
    expect(await statusQueueBodies()).toEqual([]);
  });

  it('answers 413 to a body larger than Meta ever sends', async () => {
    const huge = JSON.stringify({ object: 'whatsapp_business_account', entry: [], padding: 'x'.repeat(3_600_000) });
    expect((await postWebhook(url, huge)).status).toBe(413);
  });

  it('splits one POST with several entries, changes and statuses into one event each', async () => {
    const one = statusesPayload([
      { wamid: 'wamid.a', status: 'sent', recipient: '+4915112345678' },
      { wamid: 'wamid.b', status: 'delivered', recipient: '+4915112345679' },
    ]) as { entry: unknown[] };
    const two = userPreferencePayload('+4915112345670', 'stop') as { entry: unknown[] };
    const combined = { object: 'whatsapp_business_account', entry: [...one.entry, ...two.entry] };
    expect((await postWebhook(url, combined)).status).toBe(200);
    const kinds = (await statusQueueBodies()).map((b) => (b as { event: { kind: string } }).event.kind).sort();
    expect(kinds).toEqual(['status', 'status', 'user_preference']);
  });

  it('answers 405 to other methods', async () => {
    expect((await fetch(url, { method: 'PUT', body: '{}' })).status).toBe(405);
  });
});

/** The handler called directly, for what a URL cannot show: its metrics and log lines. */
const appSecret = HANDLER_APP_SECRET;
const post = functionUrlPost;
// These statuses carry no callback data: no job is written here.
const handlerDeps = (rejections: WebhookRejection[]): WebhookRuntime =>
  aWebhookRuntime({ countRejection: (reason) => void rejections.push(reason), maxBodyBytes: 1_000 });

describe('metrics', () => {
  const valid = JSON.stringify(statusesPayload([{ wamid: 'wamid.m', status: 'read', recipient: '+4915112345678' }]));

  it('counts nothing for a webhook it queues: a normal invocation writes no EMF line', async () => {
    const rejections: WebhookRejection[] = [];
    expect(await handleWebhookRequest(post(valid, signatureFor(valid, appSecret)), handlerDeps(rejections))).toMatchObject({
      statusCode: 200,
    });
    expect(rejections).toEqual([]);
  });

  it.each([
    ['no signature', post(valid), 'signature_missing'],
    ['a wrong signature', post(valid, signatureFor(valid, 'another secret')), 'signature_invalid'],
    ['a body that is not JSON', post('{"object":', signatureFor('{"object":', appSecret)), 'payload_invalid'],
    ['JSON that is not a WhatsApp payload', post('{"a":1}', signatureFor('{"a":1}', appSecret)), 'payload_invalid'],
    ['an oversized body', post('x'.repeat(1_001)), 'payload_too_large'],
  ] as const)('counts %s', async (_name, event, reason) => {
    const rejections: WebhookRejection[] = [];
    await handleWebhookRequest(event, handlerDeps(rejections));
    expect(rejections).toEqual([reason]);
  });

  it('writes a rejection as its own metric at once', () => {
    const calls: unknown[][] = [];
    const metrics = {
      addMetric: (...args: unknown[]) => void calls.push(['add', ...args]),
      publishStoredMetrics: () => void calls.push(['publish']),
    } as unknown as Metrics;
    countWebhookRejection(metrics, 'signature_invalid');
    expect(calls).toEqual([['add', 'WebhookSignatureInvalid', 'Count', 1], ['publish']]);
  });
});

describe('events scoped to the served accounts and numbers', () => {
  const status = (n: number) => metaStatus({ wamid: `wamid.scope${n}`, status: 'delivered', recipient: '+4915112345678' });
  const messages = (accountId: string, phoneNumberId: string | undefined, n: number) => ({
    id: accountId,
    changes: [
      {
        field: 'messages',
        value: {
          messaging_product: 'whatsapp',
          ...(phoneNumberId ? { metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId } } : {}),
          statuses: [status(n)],
        },
      },
    ],
  });
  const templateChange = (accountId: string) => ({
    id: accountId,
    time: 1_750_000_000,
    changes: [
      {
        field: 'message_template_status_update',
        value: { event: 'PAUSED', message_template_id: 1, message_template_name: 'autumn_sale', message_template_language: 'en_US' },
      },
    ],
  });
  const queuedWamids = async () =>
    (await statusQueueBodies()).map((b) => (b as { event: { status?: { id: string }; kind: string } }).event.status?.id ?? b);

  it('queues the served number of the served account and leaves out every other, answering 200', async () => {
    const payload = {
      object: 'whatsapp_business_account',
      entry: [
        messages('100000000000000', '100000000000001', 1),
        messages('102290129340398', '100000000000001', 2), // an account not served
        messages('100000000000000', '106540352242922', 3), // a number not served
        messages('100000000000000', undefined, 4), // no number at all
      ],
    };
    expect((await postWebhook(url, payload)).status).toBe(200);
    expect(await queuedWamids()).toEqual(['wamid.scope1']);
  });

  it('leaves out a served number reported under another served account', async () => {
    const twoAccounts = servedAccounts({ '100000000000000': ['100000000000001'], '200000000000000': ['200000000000001'] });
    const unserved: Array<[string, number]> = [];
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [messages('200000000000000', '100000000000001', 5)] });
    const deps = {
      ...handlerDeps([]),
      accounts: twoAccounts,
      countUnserved: (reason: string, n: number) => void unserved.push([reason, n]),
    };
    expect(await handleWebhookRequest(post(body, signatureFor(body, appSecret)), deps)).toMatchObject({ statusCode: 200 });
    expect(unserved).toEqual([['phone_number', 1]]);
  });

  it('scopes template webhooks by their account', async () => {
    const payload = { object: 'whatsapp_business_account', entry: [templateChange('100000000000000'), templateChange('102290129340398')] };
    expect((await postWebhook(url, payload)).status).toBe(200);
    expect(await statusQueueBodies()).toEqual([expect.objectContaining({ event: expect.objectContaining({ kind: 'template' }) })]);
  });

  it('leaves out a payload for another object, answering 200', async () => {
    const payload = { object: 'page', entry: [messages('100000000000000', '100000000000001', 6)] };
    expect((await postWebhook(url, payload)).status).toBe(200);
    expect(await statusQueueBodies()).toEqual([]);
  });

  it('counts what it leaves out by reason, and logs ids only', async () => {
    const unserved: Array<[string, number]> = [];
    const warnings: unknown[] = [];
    const logger = createLogger('webhook', 'SILENT');
    logger.warn = (...args: unknown[]) => void warnings.push(args);
    const deps = { ...handlerDeps([]), logger, countUnserved: (reason: string, n: number) => void unserved.push([reason, n]) };
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [messages('102290129340398', '100000000000001', 7), messages('102290129340398', '100000000000001', 8), templateChange('1')],
    });
    await handleWebhookRequest(post(body, signatureFor(body, appSecret)), deps);
    const foreign = JSON.stringify({ object: 'instagram', entry: [{}, {}] });
    await handleWebhookRequest(post(foreign, signatureFor(foreign, appSecret)), deps);
    expect(unserved).toEqual([
      ['account', 3],
      ['object', 2],
    ]);
    expect(JSON.stringify(warnings)).not.toMatch(/4915112345678|15550783881/);
    expect(JSON.stringify(warnings)).toContain('102290129340398');
  });
});
