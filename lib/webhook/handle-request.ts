import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { splitWebhookPayload, WEBHOOK_EVENT_VERSION, type WebhookEvent } from '../domain/webhook-events.ts';
import type { ServedAccounts } from '../domain/whatsapp-accounts.ts';
import type { SecretSource } from '../ports/secret-source.ts';
import type { StatusQueue } from '../ports/status-queue.ts';
import { boundedEvent, MAX_EVENTS_PER_POST } from './event-bounds.ts';
import { applyProgressHere, type ProgressHere } from './progress-here.ts';
import { foreignObjectPart, scopeToServedAccounts, type UnservedPart, type UnservedReason, type WebhookPayload } from './scope.ts';
import { readSignatureHeader, type SignatureCheck, signatureMatches } from './signature.ts';
import { verifyTokenMatches } from './verify-token.ts';

/** Why a POST was refused; each is counted as its own metric (`webhook-metrics.ts`). */
export type WebhookRejection = 'signature_missing' | 'signature_invalid' | 'payload_invalid' | 'payload_too_large';

/** The webhook function's runtime: with the job writes of the progress statuses that name their job. */
export interface WebhookRuntime extends ProgressHere {
  appSecret: SecretSource;
  verifyToken: SecretSource;
  /** Where the events not written here go; its `enqueue` throws when any could not be stored. */
  statusQueue: Pick<StatusQueue, 'enqueue'>;
  /**
   * Counts a refused POST. A normal webhook (3 per message) writes no EMF line: its
   * invocations, errors and duration are Lambda's own metrics, and deliveries are counted from
   * the jobs table's stream.
   */
  countRejection: (reason: WebhookRejection) => void;
  /** Counts the events of a signed POST left out because this deployment does not serve their account or number. */
  countUnserved: (reason: UnservedReason, events: number) => void;
  /** The accounts and phone numbers whose events are queued. */
  accounts: ServedAccounts;
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

const accepted = () => text(200, 'ok');

/**
 * Meta's webhook endpoint. GET answers the subscription challenge. POST checks the signature
 * over the raw bytes, splits the payload into single events, writes the progress statuses of the
 * served accounts that name their job (one conditional write per message, nothing read), puts the
 * rest on the status queue and answers 200, within milliseconds. Every answer is one of
 * docs/meta-api.md#answers-of-the-webhook.
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
  const bytes = rawBody.length;
  if (bytes > deps.maxBodyBytes) {
    return refuse({
      statusCode: 413,
      body: 'payload too large',
      reason: 'payload_too_large',
      why: 'payload too large',
      details: { bytes },
    });
  }
  const signature = await checkRequestSignature(rawBody, event.headers?.['x-hub-signature-256'], deps);
  if (signature !== 'valid') {
    const missing = signature === 'missing';
    return refuse({
      statusCode: missing ? 401 : 403,
      body: 'invalid signature',
      reason: missing ? 'signature_missing' : 'signature_invalid',
      why: 'bad signature',
      details: { signature, bytes },
    });
  }
  const read = readPayload(rawBody);
  if (!read.ok) {
    return refuse({ statusCode: 400, body: read.answer, reason: 'payload_invalid', why: read.why, details: { bytes, ...read.details } });
  }
  if (read.unserved) {
    reportUnserved([read.unserved], deps);
    return accepted();
  }
  const receivedAt = new Date(deps.now()).toISOString();
  const queued = await applyProgressHere(servedEvents(read.payload, deps), deps);
  // Anything but 200 makes Meta retry for up to 7 days, so a queue failure throws (an error answer): nothing is lost.
  if (queued.length > 0) await deps.statusQueue.enqueue(queued.map((event) => ({ v: WEBHOOK_EVENT_VERSION, receivedAt, event })));
  return accepted();
}

/** The header is read before the app secret is fetched: an unsigned or malformed flood costs no SSM read. */
async function checkRequestSignature(rawBody: Buffer, header: string | undefined, deps: WebhookRuntime): Promise<SignatureCheck> {
  const read = readSignatureHeader(header);
  if ('problem' in read) return read.problem;
  return signatureMatches(rawBody, read.digest, await deps.appSecret()) ? 'valid' : 'invalid';
}

type ReadPayload =
  | { ok: true; payload: WebhookPayload; unserved?: undefined }
  | { ok: true; unserved: UnservedPart }
  | { ok: false; answer: string; why: string; details: Record<string, unknown> };

/** The signed body as a WhatsApp Business Account payload of at most MAX_EVENTS_PER_POST events, or why not. */
function readPayload(rawBody: Buffer): ReadPayload {
  let payload: unknown;
  try {
    payload = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { ok: false, answer: 'body is not JSON', why: 'body is not JSON', details: {} };
  }
  const foreign = foreignObjectPart(payload);
  if (foreign) return { ok: true, unserved: foreign };
  const split = splitWebhookPayload(payload);
  if (!split.ok) {
    return {
      ok: false,
      answer: `unexpected payload: ${split.reason}`,
      why: 'not a WhatsApp Business Account payload',
      details: { reason: split.reason },
    };
  }
  if (split.events.length > MAX_EVENTS_PER_POST) {
    const why = `${split.events.length} events, over ${MAX_EVENTS_PER_POST}`;
    return { ok: false, answer: `unexpected payload: ${why}`, why: 'too many events', details: { events: split.events.length } };
  }
  // The split succeeded, so the payload has the shape the split checks.
  return { ok: true, payload: payload as WebhookPayload };
}

/** The events of the served accounts and numbers, each within the queue's bounds; the rest counted and logged. */
function servedEvents(payload: WebhookPayload, deps: WebhookRuntime): WebhookEvent[] {
  const scoped = scopeToServedAccounts(payload, deps.accounts);
  reportUnserved(scoped.unserved, deps);
  const split = splitWebhookPayload(scoped.unserved.length > 0 ? scoped.served : payload);
  if (!split.ok) return [];
  if (split.ignoredFields.length > 0) deps.logger.info('webhook fields not handled', { fields: split.ignoredFields });
  const bounded = split.events.map(boundedEvent);
  const rejected = bounded.flatMap((item) => (item.rejected === undefined ? [] : [item.rejected]));
  if (rejected.length > 0) {
    deps.logger.warn('webhook events queued without their content, for the status function to dead-letter', {
      events: rejected.length,
      reasons: [...new Set(rejected)].slice(0, 5),
    });
  }
  return bounded.map((item) => item.event);
}

function reportUnserved(parts: readonly UnservedPart[], deps: WebhookRuntime): void {
  if (parts.length === 0) return;
  // Ids of accounts and business numbers only: the payload, with users' numbers, is not logged.
  deps.logger.warn('webhook events for accounts or numbers not served here, not queued', {
    unserved: parts.slice(0, 20),
    parts: parts.length,
  });
  const byReason = new Map<UnservedReason, number>();
  for (const part of parts) byReason.set(part.reason, (byReason.get(part.reason) ?? 0) + part.events);
  for (const [reason, events] of byReason) deps.countUnserved(reason, events);
}

/** A GET: Meta's subscription challenge. The verify token is read only for a request that could be Meta's. */
async function verifySubscription(event: LambdaFunctionURLEvent, deps: WebhookRuntime): Promise<LambdaFunctionURLResult> {
  const query = event.queryStringParameters ?? {};
  const challenge = query['hub.challenge'];
  const token = query['hub.verify_token'];
  if (query['hub.mode'] !== 'subscribe' || challenge === undefined || token === undefined) return text(403, 'forbidden');
  return verifyTokenMatches(token, await deps.verifyToken()) ? text(200, challenge) : text(403, 'forbidden');
}
