import { templateCategoryPayload, templateQualityPayload, templateStatusPayload } from 'mm-api-simulator';
import { describe, expect, it } from 'vitest';
import { isTemplateWebhookField, parseTemplateEvent } from '../../../lib/domain/template-events.ts';
import { splitWebhookPayload } from '../../../lib/domain/webhook-events.ts';

const subject = {
  wabaId: '102290129340398',
  id: '1689556908129832',
  name: 'autumn_sale',
  language: 'de_DE',
  category: 'MARKETING' as const,
  time: 1_800_000_000,
};
const RECEIVED = Date.parse('2027-01-15T09:00:00Z');

/** The payload as the simulator posts it, through the webhook's split and the status function's parse. */
function throughTheQueue(payload: unknown) {
  const split = splitWebhookPayload(payload);
  if (!split.ok) throw new Error(split.reason);
  const [event] = split.events;
  if (event?.kind !== 'template') throw new Error(`not a template event: ${JSON.stringify(event)}`);
  // The queue carries JSON: what is parsed is what survives a round trip.
  return parseTemplateEvent(JSON.parse(JSON.stringify(event)), RECEIVED);
}

describe('parseTemplateEvent', () => {
  it('reads a pause with its reason and Meta’s text, the id as a string and the time from entry.time', () => {
    const payload = templateStatusPayload(subject, {
      status: 'PAUSED',
      reason: 'NONE',
      otherInfo: { title: 'FIRST_PAUSE', description: 'Paused for 3 hours.' },
    });
    expect(throughTheQueue(payload)).toEqual({
      ok: true,
      event: {
        kind: 'template',
        change: 'status',
        templateId: '1689556908129832',
        name: 'autumn_sale',
        language: 'de_DE',
        event: 'PAUSED',
        reason: 'NONE',
        title: 'FIRST_PAUSE',
        description: 'Paused for 3 hours.',
        at: 1_800_000_000_000,
      },
    });
  });

  it('reads a completed category change', () => {
    expect(throughTheQueue(templateCategoryPayload(subject, 'MARKETING', 'UTILITY'))).toMatchObject({
      ok: true,
      event: { change: 'category', previousCategory: 'MARKETING', newCategory: 'UTILITY' },
    });
  });

  it('reads an impending category change, which has no previous category', () => {
    const value = {
      message_template_id: 1,
      message_template_name: 'autumn_sale',
      message_template_language: 'de_DE',
      correct_category: 'UTILITY',
      new_category: 'MARKETING',
      category_update_timestamp: 1_800_086_400,
    };
    const parsed = parseTemplateEvent({ field: 'template_category_update', value }, RECEIVED);
    expect(parsed).toMatchObject({ ok: true, event: { change: 'category', newCategory: 'MARKETING', correctCategory: 'UTILITY' } });
    expect(parsed.ok && 'previousCategory' in parsed.event).toBe(false);
  });

  it('reads a quality change', () => {
    expect(throughTheQueue(templateQualityPayload(subject, 'YELLOW', 'RED'))).toMatchObject({
      ok: true,
      event: { change: 'quality', previousScore: 'YELLOW', newScore: 'RED', name: 'autumn_sale' },
    });
  });

  it('takes the time the webhook was received when entry.time is missing', () => {
    const value = { event: 'APPROVED', message_template_id: '7', message_template_name: 'a', message_template_language: 'en' };
    expect(parseTemplateEvent({ field: 'message_template_status_update', value }, RECEIVED)).toMatchObject({
      ok: true,
      event: { at: RECEIVED, templateId: '7' },
    });
  });

  it('refuses a change without the template’s name, or of a field that is not a template webhook', () => {
    const value = { event: 'PAUSED', message_template_id: 7, message_template_language: 'en' };
    const parsed = parseTemplateEvent({ field: 'message_template_status_update', value }, RECEIVED);
    expect(parsed).toMatchObject({ ok: false });
    expect(!parsed.ok && parsed.reason).toContain('message_template_name');
    expect(parseTemplateEvent({ field: 'messages', value: {} }, RECEIVED)).toMatchObject({ ok: false });
  });

  it('knows the three template fields and no others', () => {
    expect(
      ['message_template_status_update', 'template_category_update', 'message_template_quality_update'].every(isTemplateWebhookField),
    ).toBe(true);
    expect(isTemplateWebhookField('messages')).toBe(false);
  });
});
