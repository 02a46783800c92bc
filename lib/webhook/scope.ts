import type { z } from 'zod';
import { isTemplateWebhookField } from '../domain/template-events.ts';
import { splitWebhookPayload, type webhookPayloadSchema } from '../domain/webhook-events.ts';
import { isServedAccount, isServedNumber, type ServedAccounts } from '../domain/whatsapp-accounts.ts';

export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;

/** The only `object` this deployment serves: Meta's WhatsApp Business Account webhooks. */
export const SERVED_OBJECT = 'whatsapp_business_account';

/**
 * Why events were not queued: the payload is for another kind of object, the entry is for an
 * account not served here, or the change is for a phone number not served (under that account).
 */
export type UnservedReason = 'object' | 'account' | 'phone_number';

/** A part of a signed payload left out, as logged (ids only: never a user's phone number). */
export interface UnservedPart {
  reason: UnservedReason;
  /** The change's field; for another object, the object. */
  field: string;
  accountId?: string;
  phoneNumberId?: string;
  /** The events it would have queued; for another object, its entries. */
  events: number;
}

/** A payload for another object (Messenger, Instagram…) whose shape is none of ours: counted by its entries. */
export function foreignObjectPart(payload: unknown): UnservedPart | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const { object, entry } = payload as { object?: unknown; entry?: unknown };
  if (typeof object !== 'string' || object === SERVED_OBJECT) return undefined;
  return { reason: 'object', field: object.slice(0, 64), events: Array.isArray(entry) ? Math.max(1, entry.length) : 1 };
}

/**
 * Keeps the changes of the accounts and phone numbers this deployment serves. Template webhooks
 * name only the account (`entry[].id`); every other change names its number too
 * (`value.metadata.phone_number_id`), which must be one of that account's. Changes that would
 * queue nothing are kept, so that the split still logs their field as not handled.
 */
export function scopeToServedAccounts(
  payload: WebhookPayload,
  accounts: ServedAccounts,
): { served: WebhookPayload; unserved: UnservedPart[] } {
  const unserved: UnservedPart[] = [];
  const entry = payload.entry.map((item) => ({
    ...item,
    changes: item.changes.filter((change) => {
      const reason = unservedReason(item.id, change, accounts);
      if (reason === undefined) return true;
      const events = splitWebhookPayload({ object: payload.object, entry: [{ ...item, changes: [change] }] });
      const count = events.ok ? events.events.length : 0;
      if (count === 0) return true;
      const phoneNumberId = change.value.metadata?.phone_number_id;
      unserved.push({
        reason,
        field: change.field,
        ...(item.id === undefined ? {} : { accountId: item.id }),
        ...(phoneNumberId === undefined ? {} : { phoneNumberId }),
        events: count,
      });
      return false;
    }),
  }));
  return { served: { ...payload, entry }, unserved };
}

type Change = WebhookPayload['entry'][number]['changes'][number];

function unservedReason(accountId: string | undefined, change: Change, accounts: ServedAccounts): UnservedReason | undefined {
  if (accountId === undefined || !isServedAccount(accounts, accountId)) return 'account';
  if (isTemplateWebhookField(change.field)) return undefined;
  const phoneNumberId = change.value.metadata?.phone_number_id;
  return phoneNumberId !== undefined && isServedNumber(accounts, phoneNumberId, accountId) ? undefined : 'phone_number';
}
