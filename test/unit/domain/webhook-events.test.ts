import { describe, expect, it } from 'vitest';
import { splitWebhookPayload } from '../../../lib/domain/webhook-events.ts';
import { inboundPayload, statusesPayload, userPreferencePayload } from '../../helpers/webhook-factories.ts';

describe('splitWebhookPayload', () => {
  it('makes one event per status, preference and inbound message', () => {
    const statuses = statusesPayload([
      { wamid: 'a', status: 'sent', recipient: '+491' },
      { wamid: 'b', status: 'read', recipient: '+492' },
    ]) as { entry: unknown[] };
    const merged = {
      object: 'whatsapp_business_account',
      entry: [
        ...statuses.entry,
        ...(userPreferencePayload('+493', 'stop') as { entry: unknown[] }).entry,
        ...(inboundPayload('+494', { type: 'text', text: { body: 'hi' } }) as { entry: unknown[] }).entry,
      ],
    };
    const result = splitWebhookPayload(merged);
    expect(result.ok && result.events.map((e) => e.kind)).toEqual(['status', 'status', 'user_preference', 'inbound_message']);
  });

  it('keeps unknown fields and reports unhandled change fields', () => {
    const result = splitWebhookPayload({
      object: 'whatsapp_business_account',
      entry: [{ id: '1', changes: [{ field: 'account_update', value: { event: 'VERIFIED_ACCOUNT' } }] }],
      extra: true,
    });
    expect(result).toEqual({ ok: true, events: [], ignoredFields: ['account_update'] });
  });

  it('makes one template event per template change, with entry.time, left for the status function to validate', () => {
    const result = splitWebhookPayload({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '1',
          time: 1_800_000_000,
          changes: [
            { field: 'message_template_status_update', value: { event: 'PAUSED' } },
            { field: 'template_category_update', value: { new_category: 'UTILITY' } },
          ],
        },
        { id: '1', changes: [{ field: 'message_template_quality_update', value: { new_quality_score: 'RED' } }] },
      ],
    });
    expect(result).toEqual({
      ok: true,
      ignoredFields: [],
      events: [
        { kind: 'template', field: 'message_template_status_update', value: { event: 'PAUSED' }, time: 1_800_000_000 },
        { kind: 'template', field: 'template_category_update', value: { new_category: 'UTILITY' }, time: 1_800_000_000 },
        { kind: 'template', field: 'message_template_quality_update', value: { new_quality_score: 'RED' } },
      ],
    });
  });

  it('refuses a payload that is not a WhatsApp Business Account payload', () => {
    expect(splitWebhookPayload({ entry: 'x' }).ok).toBe(false);
    expect(splitWebhookPayload(null).ok).toBe(false);
  });
});
