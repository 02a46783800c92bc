import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InboundMessage, UserPreferenceUpdate, WebhookPayload, WebhookStatus } from '../../src/webhook-payloads.ts';

/**
 * A minimal webhook endpoint for the simulator tests. It verifies Meta's signature on its own
 * (HMAC-SHA256 of the raw bytes, constant-time compare) rather than with the simulator's
 * helper, so that a bug there cannot hide itself, and answers 403 to a bad signature.
 */

export interface ReceivedWebhook {
  /** The body bytes exactly as received. */
  raw: Buffer;
  payload: WebhookPayload;
  signature: string | undefined;
  signatureValid: boolean;
  headers: IncomingHttpHeaders;
  /** What the receiver answered. */
  answered: number;
  /** performance.now() on arrival. */
  arrivedAt: number;
}

export interface WebhookReceiver {
  url: string;
  /** Every POST, in arrival order (including the ones answered with an error). */
  received: ReceivedWebhook[];
  /** Answers the next `count` POSTs with `status` instead of 200. */
  failNext(count: number, status?: number): void;
  /** Answers every POST with `status` from now on (undefined: back to normal). */
  answerAlways(status: number | undefined): void;
  /** Statuses of the POSTs answered 200, flattened over entries, changes and statuses, in arrival order. */
  statuses(): WebhookStatus[];
  messages(): InboundMessage[];
  userPreferences(): UserPreferenceUpdate[];
  close(): Promise<void>;
}

export function verifySignature(raw: Buffer, header: string | undefined, appSecret: string): boolean {
  if (header === undefined || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', appSecret).update(raw).digest();
  const received = Buffer.from(header.slice('sha256='.length), 'hex');
  return received.length === expected.length && timingSafeEqual(received, expected);
}

function valuesOf(payload: WebhookPayload) {
  return payload.entry.flatMap((entry) => entry.changes.map((change) => change.value));
}

export async function startWebhookReceiver(appSecret: string): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failuresLeft = 0;
  let failureStatus = 500;
  let fixedStatus: number | undefined;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signature = request.headers['x-hub-signature-256'] as string | undefined;
      const signatureValid = verifySignature(raw, signature, appSecret);
      let answered = signatureValid ? 200 : 403;
      if (fixedStatus !== undefined) answered = fixedStatus;
      else if (failuresLeft > 0) {
        failuresLeft -= 1;
        answered = failureStatus;
      }
      received.push({
        raw,
        payload: JSON.parse(raw.toString('utf8')) as WebhookPayload,
        signature,
        signatureValid,
        headers: request.headers,
        answered,
        arrivedAt: performance.now(),
      });
      response.writeHead(answered, { 'content-type': 'text/plain' });
      response.end(answered === 200 ? 'EVENT_RECEIVED' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const accepted = (): WebhookPayload[] => received.filter((hook) => hook.answered === 200).map((hook) => hook.payload);

  return {
    url: `http://127.0.0.1:${port}/webhooks/whatsapp`,
    received,
    failNext: (count, status = 500) => {
      failuresLeft = count;
      failureStatus = status;
    },
    answerAlways: (status) => {
      fixedStatus = status;
    },
    statuses: () => accepted().flatMap((payload) => valuesOf(payload).flatMap((value) => value.statuses ?? [])),
    messages: () => accepted().flatMap((payload) => valuesOf(payload).flatMap((value) => value.messages ?? [])),
    userPreferences: () => accepted().flatMap((payload) => valuesOf(payload).flatMap((value) => value.user_preferences ?? [])),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
