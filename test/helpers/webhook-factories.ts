import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { servedAccounts } from '../../lib/domain/whatsapp-accounts.ts';
import { createLogger } from '../../lib/observability.ts';
import type { WebhookRuntime } from '../../lib/webhook/handle-request.ts';
import { signatureFor } from '../../lib/webhook/signature.ts';

/** Builders for Meta's webhook payloads (docs/meta-api.md#webhooks-and-signatures), so tests do not hand-build envelopes. */
/** The local simulator's account, which owns PHONE_NUMBER_ID and which the default `whatsappAccounts` param serves. */
export const WABA_ID = '100000000000000';
export const PHONE_NUMBER_ID = '100000000000001';

export interface StatusFields {
  wamid: string;
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'played';
  recipient: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  errorCode?: number;
  pricingCategory?: 'marketing_lite' | 'marketing';
  callbackData?: string;
}

const ERROR_TEXT: Record<number, string> = {
  131049: 'This message was not delivered to maintain healthy ecosystem engagement.',
  131050: 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
  131026: 'Message undeliverable',
};

export function metaStatus(fields: StatusFields): Record<string, unknown> {
  const digits = fields.recipient.replace(/\D/g, '');
  return {
    id: fields.wamid,
    status: fields.status,
    timestamp: String(fields.timestamp ?? Math.floor(Date.now() / 1000)),
    recipient_id: digits,
    ...(fields.callbackData ? { biz_opaque_callback_data: fields.callbackData } : {}),
    ...(fields.pricingCategory
      ? { pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: fields.pricingCategory } }
      : {}),
    ...(fields.errorCode
      ? {
          errors: [
            {
              code: fields.errorCode,
              title: ERROR_TEXT[fields.errorCode] ?? 'Error',
              message: ERROR_TEXT[fields.errorCode] ?? 'Error',
              error_data: { details: ERROR_TEXT[fields.errorCode] ?? 'Error' },
              href: '/documentation/business-messaging/whatsapp/support/error-codes',
            },
          ],
        }
      : {}),
  };
}

/** One POST with the given changes, as Meta sends it. */
export function webhookPayload(changes: Array<{ field: string; value: Record<string, unknown> }>): Record<string, unknown> {
  return { object: 'whatsapp_business_account', entry: [{ id: WABA_ID, changes }] };
}

const metadata = { display_phone_number: '15550783881', phone_number_id: PHONE_NUMBER_ID };

export function statusesPayload(statuses: StatusFields[]): Record<string, unknown> {
  return webhookPayload([{ field: 'messages', value: { messaging_product: 'whatsapp', metadata, statuses: statuses.map(metaStatus) } }]);
}

export function userPreferencePayload(
  recipient: string,
  value: 'stop' | 'resume',
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, unknown> {
  return webhookPayload([
    {
      field: 'user_preferences',
      value: {
        messaging_product: 'whatsapp',
        metadata,
        contacts: [{ wa_id: recipient.replace(/\D/g, ''), profile: { name: 'Jasper' } }],
        user_preferences: [
          {
            wa_id: recipient.replace(/\D/g, ''),
            detail: 'User requested to stop marketing messages',
            category: 'marketing_messages',
            value,
            timestamp,
          },
        ],
      },
    },
  ]);
}

export function inboundPayload(recipient: string, message: Record<string, unknown>): Record<string, unknown> {
  const from = recipient.replace(/\D/g, '');
  return webhookPayload([
    {
      field: 'messages',
      value: {
        messaging_product: 'whatsapp',
        metadata,
        contacts: [{ profile: { name: 'Jasper' }, wa_id: from }],
        messages: [
          { from, id: `wamid.in${Math.random().toString(36).slice(2)}`, timestamp: String(Math.floor(Date.now() / 1000)), ...message },
        ],
      },
    },
  ]);
}

export interface PostOptions {
  secret?: string;
  signature?: 'valid' | 'missing' | 'wrong-secret' | 'garbage';
  /** Sign this body but send another (an altered body). */
  sendInstead?: string;
}

/** POSTs a payload to the webhook URL, signed over the exact bytes sent. */
export async function postWebhook(url: string, payload: unknown, options: PostOptions = {}): Promise<{ status: number; text: string }> {
  const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const secret = options.secret ?? 'local-app-secret';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const mode = options.signature ?? 'valid';
  if (mode === 'valid') headers['x-hub-signature-256'] = signatureFor(raw, secret);
  if (mode === 'wrong-secret') headers['x-hub-signature-256'] = signatureFor(raw, `${secret}-wrong`);
  if (mode === 'garbage') headers['x-hub-signature-256'] = 'sha256=nothex';
  const response = await fetch(url, { method: 'POST', headers, body: options.sendInstead ?? raw });
  return { status: response.status, text: await response.text() };
}

/** The app secret of {@link aWebhookRuntime}: sign a body with it for the handler to take it. */
export const HANDLER_APP_SECRET = 'handler-test-secret';

/** A POST as the function URL hands it to the handler; unsigned without `signature`. */
export function functionUrlPost(body: string, signature?: string): LambdaFunctionURLEvent {
  return {
    body,
    isBase64Encoded: false,
    headers: signature ? { 'x-hub-signature-256': signature } : {},
    requestContext: { http: { method: 'POST' } },
  } as unknown as LambdaFunctionURLEvent;
}

/**
 * The webhook handler's runtime for calling it directly: the local simulator's account served,
 * secrets in memory, nothing queued, counted or logged, and no job write expected unless
 * `overrides` gives a job store.
 */
export function aWebhookRuntime(overrides: Partial<WebhookRuntime> = {}): WebhookRuntime {
  return {
    appSecret: async () => HANDLER_APP_SECRET,
    verifyToken: async () => 'token',
    statusQueue: { enqueue: async () => {} },
    jobs: {
      applyProgress: () => {
        throw new Error('no progress write expected');
      },
    },
    countProgress: () => {},
    logger: createLogger('webhook', 'SILENT'),
    countRejection: () => {},
    countUnserved: () => {},
    accounts: servedAccounts({ [WABA_ID]: [PHONE_NUMBER_ID] }),
    now: Date.now,
    maxBodyBytes: 100_000,
    ...overrides,
  };
}
