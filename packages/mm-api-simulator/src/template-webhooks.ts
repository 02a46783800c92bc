import type { QualityScore, TemplateStatus } from './scenario.ts';
import type { TemplateCategory } from './template-catalog.ts';

/**
 * Builders for the template webhooks Meta posts to the WABA's subscribers. Pure: the caller
 * passes the template and the time, so tests can use them as factories for exact payloads.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_quality_update
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/template_category_update
 */

/** The `field` of a template webhook's change. */
export type TemplateWebhookField = 'message_template_status_update' | 'message_template_quality_update' | 'template_category_update';

/** A template webhook: one entry (the WABA) with one change. */
export interface TemplateWebhookPayload {
  object: 'whatsapp_business_account';
  entry: [{ id: string; time: number; changes: [{ value: Record<string, unknown>; field: TemplateWebhookField }] }];
}

/** The template an event is about, and when it happened. */
export interface TemplateEventSubject {
  wabaId: string;
  /** Numeric string; the payload carries it as a number, as Meta's does. */
  id: string;
  name: string;
  language: string;
  category: TemplateCategory;
  /** Unix seconds: `entry[].time`. */
  time: number;
}

/** `other_info` of a paused (or unpaused) template. */
export interface TemplateOtherInfo {
  title: string;
  description: string;
}

/** What Meta says when it pauses a template for the first time (the simulator's default text). */
export const DEFAULT_PAUSE_INFO: TemplateOtherInfo = {
  title: 'FIRST_PAUSE',
  description: 'Your WhatsApp message template has been paused for 3 hours because of low quality.',
};

function payload(subject: TemplateEventSubject, field: TemplateWebhookField, value: Record<string, unknown>): TemplateWebhookPayload {
  return { object: 'whatsapp_business_account', entry: [{ id: subject.wabaId, time: subject.time, changes: [{ value, field }] }] };
}

function templateFields(subject: TemplateEventSubject): Record<string, unknown> {
  return {
    message_template_id: Number(subject.id),
    message_template_name: subject.name,
    message_template_language: subject.language,
  };
}

/** `message_template_status_update`: `other_info` for PAUSED, `disable_info` for DISABLED. */
export function templateStatusPayload(
  subject: TemplateEventSubject,
  event: { status: TemplateStatus | 'REINSTATED'; reason: string; otherInfo?: TemplateOtherInfo },
): TemplateWebhookPayload {
  return payload(subject, 'message_template_status_update', {
    event: event.status,
    ...templateFields(subject),
    reason: event.reason,
    message_template_category: subject.category,
    ...(event.status === 'DISABLED' ? { disable_info: { disable_date: String(subject.time) } } : {}),
    ...(event.otherInfo ? { other_info: event.otherInfo } : {}),
  });
}

/** `message_template_quality_update`. */
export function templateQualityPayload(subject: TemplateEventSubject, previous: QualityScore, next: QualityScore): TemplateWebhookPayload {
  return payload(subject, 'message_template_quality_update', {
    previous_quality_score: previous,
    new_quality_score: next,
    ...templateFields(subject),
  });
}

/** `template_category_update`. */
export function templateCategoryPayload(
  subject: TemplateEventSubject,
  previous: TemplateCategory,
  next: TemplateCategory,
): TemplateWebhookPayload {
  return payload(subject, 'template_category_update', {
    ...templateFields(subject),
    previous_category: previous,
    new_category: next,
  });
}
