import type { Metrics } from '@aws-lambda-powertools/metrics';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { queueOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/observability.ts';
import { handleWebhookRequest, type WebhookRejection, type WebhookRuntime } from '../../lib/webhook/handle-request.ts';
import { countWebhookRejection } from '../../lib/webhook/rejections.ts';
import { signatureFor } from '../../lib/webhook/signature.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, statusesPayload, userPreferencePayload } from '../helpers/webhook-factories.ts';

/**
 * The webhook function behind its (local) function URL: verification, signatures and what it
 * puts on the status queue. The status function is not polled here, so the queue can be read.
 */
const harness = await startSendHarness(baseScenario(), { startStatusPoller: false });
const { clients } = useLocalStack();
const url = harness.deployment.webhookUrl!;

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
  ])('answers 403 for %s', async (_name, query) => {
    expect((await fetch(`${url}?${query}`)).status).toBe(403);
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

  it('checks the raw bytes, not a re-serialised JSON', async () => {
    const raw =
      '{"object":"whatsapp_business_account",  "entry":[{"id":"1","changes":[{"field":"messages","value":{"statuses":[{"id":"wamid.raw","status":"sent","timestamp":"1750030073","recipient_id":"4915112345678"}],"metadata":{"phone_number_id":"1"}}}]}]}';
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

describe('metrics', () => {
  const appSecret = 'metrics-secret';
  const post = (body: string, signature?: string): LambdaFunctionURLEvent =>
    ({
      body,
      isBase64Encoded: false,
      headers: signature ? { 'x-hub-signature-256': signature } : {},
      requestContext: { http: { method: 'POST' } },
    }) as unknown as LambdaFunctionURLEvent;
  const handlerDeps = (rejections: WebhookRejection[]): WebhookRuntime => ({
    appSecret: async () => appSecret,
    verifyToken: async () => 'token',
    statusQueue: { enqueue: async () => {} },
    logger: createLogger('webhook', 'SILENT'),
    countRejection: (reason) => void rejections.push(reason),
    now: Date.now,
    maxBodyBytes: 1_000,
  });
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
