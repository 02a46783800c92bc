import { timingSafeEqual } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { splitWebhookPayload, WEBHOOK_EVENT_VERSION } from '../domain/webhook-events.ts';
import type { SecretSource } from '../ports/secret-source.ts';
import type { StatusQueue } from '../ports/status-queue.ts';
import { checkSignature } from './signature.ts';

/** Why a POST was refused; each is counted as its own metric (`rejections.ts`). */
export type WebhookRejection = 'signature_missing' | 'signature_invalid' | 'payload_invalid' | 'payload_too_large';

/** The webhook function's runtime. */
export interface WebhookRuntime {
  appSecret: SecretSource;
  verifyToken: SecretSource;
  /** Where the events go; its `enqueue` throws when any could not be stored. */
  statusQueue: Pick<StatusQueue, 'enqueue'>;
  logger: Logger;
  /**
   * Counts a refused POST. The only metric this function emits: a normal webhook (3 per message)
   * writes no EMF line, and its invocations, errors and duration are Lambda's own metrics.
   */
  countRejection: (reason: WebhookRejection) => void;
  now: () => number;
  /** Meta's payloads reach 3 MB; anything larger is not Meta. */
  maxBodyBytes: number;
}

/** A refused POST: the answer, the metric it counts in, and what the log line says. */
interface Refusal {
  statusCode: number;
  body: string;
  reason: WebhookRejection;
  why: string;
  details: Record<string, unknown>;
}

const text = (statusCode: number, body: string): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'text/plain' },
  body,
});

/**
 * Meta's webhook endpoint. GET answers the subscription challenge. POST checks the signature
 * over the raw bytes, splits the payload into single events, puts them on the status queue
 * and answers 200: nothing else happens on this path, so it answers in milliseconds.
 */
export async function handleWebhookRequest(event: LambdaFunctionURLEvent, deps: WebhookRuntime): Promise<LambdaFunctionURLResult> {
  const method = event.requestContext.http.method.toUpperCase();
  if (method === 'GET') return verifySubscription(event, deps);
  if (method !== 'POST') return text(405, 'method not allowed');
  return receiveEvents(event, deps);
}

/** A POST: checked before anything is trusted (size, signature over the raw bytes, payload), then queued event by event. */
async function receiveEvents(event: LambdaFunctionURLEvent, deps: WebhookRuntime): Promise<LambdaFunctionURLResult> {
  const refuse = ({ statusCode, body, reason, why, details }: Refusal): LambdaFunctionURLResult => {
    deps.logger.warn(`webhook rejected: ${why}`, details);
    deps.countRejection(reason);
    return text(statusCode, body);
  };
  const rawBody = event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (rawBody.length > deps.maxBodyBytes) {
    return refuse({
      statusCode: 413,
      body: 'payload too large',
      reason: 'payload_too_large',
      why: 'payload too large',
      details: { bytes: rawBody.length },
    });
  }
  const signature = checkSignature(rawBody, event.headers['x-hub-signature-256'], await deps.appSecret());
  if (signature !== 'valid') {
    const missing = signature === 'missing';
    const reason = missing ? 'signature_missing' : 'signature_invalid';
    return refuse({
      statusCode: missing ? 401 : 403,
      body: 'invalid signature',
      reason,
      why: 'bad signature',
      details: { signature, bytes: rawBody.length },
    });
  }
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return refuse({
      statusCode: 400,
      body: 'body is not JSON',
      reason: 'payload_invalid',
      why: 'body is not JSON',
      details: { bytes: rawBody.length },
    });
  }
  const split = splitWebhookPayload(payload);
  if (!split.ok) {
    const why = 'not a WhatsApp Business Account payload';
    return refuse({
      statusCode: 400,
      body: `unexpected payload: ${split.reason}`,
      reason: 'payload_invalid',
      why,
      details: { reason: split.reason },
    });
  }
  if (split.ignoredFields.length > 0) deps.logger.info('webhook fields not handled', { fields: split.ignoredFields });
  const receivedAt = new Date(deps.now()).toISOString();
  // Anything but 200 makes Meta retry for up to 7 days, so a queue failure is a 500: nothing is lost.
  await deps.statusQueue.enqueue(split.events.map((event) => ({ v: WEBHOOK_EVENT_VERSION, receivedAt, event })));
  return text(200, 'ok');
}

async function verifySubscription(event: LambdaFunctionURLEvent, deps: WebhookRuntime): Promise<LambdaFunctionURLResult> {
  const query = event.queryStringParameters ?? {};
  const token = query['hub.verify_token'];
  const expected = await deps.verifyToken();
  const tokenMatches =
    token !== undefined && token.length === expected.length && timingSafeEqual(Buffer.from(token), Buffer.from(expected));
  if (query['hub.mode'] === 'subscribe' && tokenMatches && query['hub.challenge'] !== undefined) {
    return text(200, query['hub.challenge']);
  }
  return text(403, 'forbidden');
}
