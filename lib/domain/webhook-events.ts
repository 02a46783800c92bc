import { z } from 'zod';
import { isTemplateWebhookField, type TemplateWebhookField } from './template-events.ts';

/**
 * Meta's webhook payload for the `messages` and `user_preferences` fields (docs/meta-api.md#webhooks-and-signatures), and
 * the events the webhook function splits it into: one queue message per status, preference
 * or inbound message, so each is processed (and retried) on its own. The template webhooks
 * (`template-events.ts`) arrive on the same endpoint and become one event per change.
 *
 * Loose objects throughout: Meta adds fields without notice, and an unknown field must never
 * make us drop a status.
 */
const statusError = z.looseObject({
  code: z.number().int(),
  title: z.string().optional(),
  message: z.string().optional(),
  error_data: z.looseObject({ details: z.string().optional() }).optional(),
});

export const metaStatusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string().min(1),
  timestamp: z.string().regex(/^\d+$/),
  recipient_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  pricing: z
    .looseObject({ billable: z.boolean().optional(), pricing_model: z.string().optional(), category: z.string().optional() })
    .optional(),
  errors: z.array(statusError).optional(),
});
export type MetaStatus = z.infer<typeof metaStatusSchema>;

export const userPreferenceSchema = z.looseObject({
  wa_id: z.string().min(1),
  category: z.string().optional(),
  value: z.string(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  detail: z.string().optional(),
});
export type UserPreference = z.infer<typeof userPreferenceSchema>;

export const inboundMessageSchema = z.looseObject({
  from: z.string().min(1),
  id: z.string(),
  timestamp: z.string().optional(),
  type: z.string(),
  text: z.looseObject({ body: z.string() }).optional(),
  button: z.looseObject({ payload: z.string().optional(), text: z.string().optional() }).optional(),
  interactive: z.looseObject({}).optional(),
  context: z.looseObject({ from: z.string().optional(), id: z.string().optional() }).optional(),
});
export type InboundMessage = z.infer<typeof inboundMessageSchema>;

const changeValue = z.looseObject({
  messaging_product: z.string().optional(),
  metadata: z.looseObject({ display_phone_number: z.string().optional(), phone_number_id: z.string().optional() }).optional(),
  statuses: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  user_preferences: z.array(z.unknown()).optional(),
  user_actions: z.array(z.unknown()).optional(),
});

export const webhookPayloadSchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      id: z.string().optional(),
      time: z.unknown().optional(),
      changes: z.array(z.looseObject({ field: z.string(), value: changeValue })),
    }),
  ),
});

/** What the webhook function puts on the status queue, one per event. */
export type WebhookEvent =
  | { kind: 'status'; phoneNumberId?: string; status: unknown }
  | { kind: 'user_preference'; phoneNumberId?: string; preference: unknown }
  | { kind: 'inbound_message'; phoneNumberId?: string; message: unknown }
  | { kind: 'user_action'; phoneNumberId?: string; action: unknown }
  /** A template webhook's change as Meta sent it, with `entry[].time` when it is a number (validated by the status function). */
  | { kind: 'template'; field: TemplateWebhookField; value: unknown; time?: number };

export const WEBHOOK_EVENT_VERSION = 1;

export interface WebhookEnvelope {
  v: typeof WEBHOOK_EVENT_VERSION;
  receivedAt: string;
  event: WebhookEvent;
}

export type SplitResult = { ok: true; events: WebhookEvent[]; ignoredFields: string[] } | { ok: false; reason: string };

/**
 * Splits a parsed webhook body into single events. Only structure is checked here; each event
 * is validated by the status function, so one bad status cannot drop its neighbours.
 */
export function splitWebhookPayload(body: unknown): SplitResult {
  const parsed = webhookPayloadSchema.safeParse(body);
  if (!parsed.success) {
    return {
      ok: false,
      reason: parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; '),
    };
  }
  const events: WebhookEvent[] = [];
  const ignoredFields: string[] = [];
  for (const entry of parsed.data.entry) {
    for (const change of entry.changes) {
      const value = change.value;
      if (isTemplateWebhookField(change.field)) {
        events.push({ kind: 'template', field: change.field, value, ...(typeof entry.time === 'number' ? { time: entry.time } : {}) });
        continue;
      }
      const phoneNumberId = value.metadata?.phone_number_id;
      const base = phoneNumberId ? { phoneNumberId } : {};
      const before = events.length;
      for (const status of value.statuses ?? []) events.push({ kind: 'status', ...base, status });
      for (const preference of value.user_preferences ?? []) events.push({ kind: 'user_preference', ...base, preference });
      for (const message of value.messages ?? []) events.push({ kind: 'inbound_message', ...base, message });
      for (const action of value.user_actions ?? []) events.push({ kind: 'user_action', ...base, action });
      if (events.length === before) ignoredFields.push(change.field);
    }
  }
  return { ok: true, events, ignoredFields };
}
