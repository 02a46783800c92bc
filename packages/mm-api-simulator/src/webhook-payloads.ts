import { metaErrorDefinition } from './meta-errors.ts';

/**
 * Builders for the webhook payloads Meta posts on the `messages` and `user_preferences` fields.
 * All pure: the caller passes ids and timestamps, so tests can use them as factories for exact
 * payloads.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/user_preferences
 */

/** `href` of every error in a `failed` status. */
export const WEBHOOK_ERROR_HREF = '/documentation/business-messaging/whatsapp/support/error-codes';

/** `value.metadata`: the business number the event belongs to. */
export interface WebhookMetadata {
  /** Digits, no `+`. */
  display_phone_number: string;
  phone_number_id: string;
}

/** `status` of a status webhook. */
export type StatusValue = 'sent' | 'delivered' | 'read' | 'failed';

/** `pricing.category`: `marketing_lite` for MM API sends, `marketing` for the Cloud API. */
export type PricingCategory = 'marketing_lite' | 'marketing' | 'utility' | 'authentication' | 'service';

/** `pricing` of a delivered or read status (per-message pricing, v24+: no `conversation`). */
export interface WebhookPricing {
  billable: boolean;
  pricing_model: 'PMP';
  type: 'regular' | 'free_customer_service';
  category: PricingCategory;
}

/** One entry of a failed status's `errors`. */
export interface WebhookError {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

/** One element of `value.statuses`. */
export interface WebhookStatus {
  id: string;
  status: StatusValue;
  /** Unix seconds, as a string. */
  timestamp: string;
  recipient_id: string;
  biz_opaque_callback_data?: string;
  pricing?: WebhookPricing;
  errors?: WebhookError[];
}

/** One element of `value.contacts`: the user an inbound event comes from. */
export interface WebhookContact {
  profile: { name: string };
  wa_id: string;
}

/** One element of `value.messages`: a message a user sent to the business. */
export interface InboundMessage {
  from: string;
  id: string;
  /** Unix seconds, as a string. */
  timestamp: string;
  type: 'button' | 'text';
  context?: { from: string; id: string };
  button?: { payload: string; text: string };
  text?: { body: string };
}

/** The user's choice in a `user_preferences` webhook: Stop or Resume marketing messages. */
export type MarketingPreference = 'stop' | 'resume';

/** One element of `value.user_preferences`. */
export interface UserPreferenceUpdate {
  wa_id: string;
  detail: string;
  category: 'marketing_messages';
  value: MarketingPreference;
  /** Unix seconds; a number here, unlike in statuses and messages (Meta's reference shows it unquoted). */
  timestamp: number;
}

/** `entry[].changes[].value`: the business number and the events themselves. */
export interface WebhookValue {
  messaging_product: 'whatsapp';
  metadata: WebhookMetadata;
  contacts?: WebhookContact[];
  statuses?: WebhookStatus[];
  messages?: InboundMessage[];
  user_preferences?: UserPreferenceUpdate[];
}

/** `entry[].changes[].field`: the webhook field the change belongs to. */
export type WebhookField = 'messages' | 'user_preferences';

/** One element of `entry[].changes`. */
export interface WebhookChange {
  value: WebhookValue;
  field: WebhookField;
}

/** One element of `entry`: the changes of one WhatsApp Business Account (`id`). */
export interface WebhookEntry {
  id: string;
  changes: WebhookChange[];
}

/** The body of every webhook POST. */
export interface WebhookPayload {
  object: 'whatsapp_business_account';
  entry: WebhookEntry[];
}

/**
 * How several statuses share one POST: all in one `statuses` array, one change each, or one
 * entry each. Meta uses all three; receivers must walk every level.
 */
export type BatchLayout = 'statuses' | 'changes' | 'entries';

/** What every payload builder needs to know about the account. */
export interface WebhookAccount {
  wabaId: string;
  metadata: WebhookMetadata;
}

/** Epoch milliseconds to whole Unix seconds. */
export function unixSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}

/** `pricing` for a delivered or read message of that category (only service messages are free). */
export function pricingFor(category: PricingCategory): WebhookPricing {
  return category === 'service'
    ? { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category }
    : { billable: true, pricing_model: 'PMP', type: 'regular', category };
}

/**
 * The error object of a `failed` status for `code`, with Meta's texts from meta-errors.ts: in
 * webhooks `title` and `message` are both the bare title (no `(#code)` prefix).
 *
 * @throws Error for a code the simulator does not know.
 */
export function webhookError(code: number, details?: string): WebhookError {
  const definition = metaErrorDefinition(code);
  if (!definition) throw new Error(`No Meta error definition for code ${code}`);
  return {
    code,
    title: definition.title,
    message: definition.title,
    error_data: { details: details ?? definition.details },
    href: WEBHOOK_ERROR_HREF,
  };
}

/** Input of {@link statusObject}. */
export interface StatusInput {
  wamid: string;
  status: StatusValue;
  /** Unix seconds. */
  timestamp: number;
  /** The recipient's digits (`wa_id`). */
  recipientId: string;
  bizOpaqueCallbackData?: string | undefined;
  /** Kept on `delivered` and `read` only: Meta never prices `sent` or `failed`. */
  pricingCategory?: PricingCategory | undefined;
  /** Required for `failed`, ignored otherwise. */
  errorCode?: number | undefined;
  errorDetails?: string | undefined;
}

/**
 * One status object in Meta's key order.
 *
 * @throws Error for a `failed` status without `errorCode`.
 */
export function statusObject(input: StatusInput): WebhookStatus {
  const status: WebhookStatus = {
    id: input.wamid,
    status: input.status,
    timestamp: String(input.timestamp),
    recipient_id: input.recipientId,
  };
  if (input.bizOpaqueCallbackData !== undefined) status.biz_opaque_callback_data = input.bizOpaqueCallbackData;
  if (input.pricingCategory !== undefined && (input.status === 'delivered' || input.status === 'read')) {
    status.pricing = pricingFor(input.pricingCategory);
  }
  if (input.status === 'failed') {
    if (input.errorCode === undefined) throw new Error('A failed status needs an errorCode');
    status.errors = [webhookError(input.errorCode, input.errorDetails)];
  }
  return status;
}

function envelope(wabaId: string, changes: WebhookChange[]): WebhookPayload {
  return { object: 'whatsapp_business_account', entry: [{ id: wabaId, changes }] };
}

function baseValue(metadata: WebhookMetadata): WebhookValue {
  return { messaging_product: 'whatsapp', metadata: { ...metadata } };
}

/**
 * A `messages`-field payload carrying `statuses`, laid out as `layout` says when there are
 * several (default: one `statuses` array).
 *
 * @example statusPayload({ wabaId, metadata, statuses: [statusObject({ wamid, status: 'sent', timestamp, recipientId })] })
 */
export function statusPayload(input: WebhookAccount & { statuses: readonly WebhookStatus[]; layout?: BatchLayout }): WebhookPayload {
  const { wabaId, metadata, statuses, layout = 'statuses' } = input;
  const change = (group: WebhookStatus[]): WebhookChange => ({ value: { ...baseValue(metadata), statuses: group }, field: 'messages' });
  switch (layout) {
    case 'statuses':
      return envelope(wabaId, [change([...statuses])]);
    case 'changes':
      return envelope(
        wabaId,
        statuses.map((status) => change([status])),
      );
    case 'entries':
      return {
        object: 'whatsapp_business_account',
        entry: statuses.map((status) => ({ id: wabaId, changes: [change([status])] })),
      };
  }
}

const PREFERENCE_DETAILS: Record<MarketingPreference, string> = {
  stop: 'User requested to stop marketing messages',
  resume: 'User requested to resume marketing messages',
};

/** Input shared by the builders of user-originated payloads. */
export interface UserEventInput extends WebhookAccount {
  /** The user's digits (`wa_id`). */
  waId: string;
  /** Unix seconds. */
  timestamp: number;
  /** `contacts[0].profile.name`; default {@link profileNameFor}(waId). */
  profileName?: string;
}

/** A `user_preferences`-field payload: the user pressed Stop or Resume on the business's marketing. */
export function userPreferencePayload(input: UserEventInput & { value: MarketingPreference }): WebhookPayload {
  const update: UserPreferenceUpdate = {
    wa_id: input.waId,
    detail: PREFERENCE_DETAILS[input.value],
    category: 'marketing_messages',
    value: input.value,
    timestamp: input.timestamp,
  };
  return envelope(input.wabaId, [
    {
      value: { ...baseValue(input.metadata), contacts: [contact(input)], user_preferences: [update] },
      field: 'user_preferences',
    },
  ]);
}

/** A `messages`-field payload: the user tapped a quick-reply button of the template `contextWamid`. */
export function quickReplyPayload(
  input: UserEventInput & { messageId: string; contextWamid: string; payload: string; text: string },
): WebhookPayload {
  return inboundPayload(input, {
    from: input.waId,
    id: input.messageId,
    timestamp: String(input.timestamp),
    type: 'button',
    context: { from: input.metadata.display_phone_number, id: input.contextWamid },
    button: { payload: input.payload, text: input.text },
  });
}

/** A `messages`-field payload: the user typed a text (a typed "STOP" is just this). */
export function textMessagePayload(input: UserEventInput & { messageId: string; body: string }): WebhookPayload {
  return inboundPayload(input, {
    from: input.waId,
    id: input.messageId,
    timestamp: String(input.timestamp),
    type: 'text',
    text: { body: input.body },
  });
}

function inboundPayload(input: UserEventInput, message: InboundMessage): WebhookPayload {
  return envelope(input.wabaId, [
    { value: { ...baseValue(input.metadata), contacts: [contact(input)], messages: [message] }, field: 'messages' },
  ]);
}

function contact(input: UserEventInput): WebhookContact {
  return { profile: { name: input.profileName ?? profileNameFor(input.waId) }, wa_id: input.waId };
}

// Non-ASCII on purpose: Meta signs its escaped form (\u00fc), so a receiver that verifies a
// re-serialised body instead of the raw bytes fails on these names, as it would in production.
const PROFILE_NAMES = ['Jürgen Weiß', 'Zoë Martín', 'Søren Ødegård', 'Maria Rossi', 'Chen Wei', 'José Peña', 'Priya Shah', 'Ana Lima'];

/** A stable made-up profile name for a user. */
export function profileNameFor(waId: string): string {
  let sum = 0;
  for (const char of waId) sum = (sum * 31 + char.charCodeAt(0)) >>> 0;
  return PROFILE_NAMES[sum % PROFILE_NAMES.length] ?? 'WhatsApp User';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The message ids a payload refers to: status ids, inbound message ids and their `context.id`,
 * in order of appearance, without repeats. Tolerates any shape.
 */
export function wamidsIn(payload: unknown): string[] {
  const ids = new Set<string>();
  const entries = isObject(payload) && Array.isArray(payload.entry) ? payload.entry : [];
  for (const entry of entries) {
    const changes = isObject(entry) && Array.isArray(entry.changes) ? entry.changes : [];
    for (const change of changes) {
      const value = isObject(change) && isObject(change.value) ? change.value : {};
      for (const key of ['statuses', 'messages'] as const) {
        const items = Array.isArray(value[key]) ? (value[key] as unknown[]) : [];
        for (const item of items) {
          if (!isObject(item)) continue;
          if (typeof item.id === 'string') ids.add(item.id);
          if (isObject(item.context) && typeof item.context.id === 'string') ids.add(item.context.id);
        }
      }
    }
  }
  return [...ids];
}
