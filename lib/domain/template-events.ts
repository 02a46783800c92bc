import { z } from 'zod';

/**
 * Meta's three template webhooks, which reach the same endpoint as the message webhooks with the
 * change's `field` naming them, and the one typed event the status function makes of each:
 *
 * - `message_template_status_update`: `event` (APPROVED, PAUSED, DISABLED, REJECTED, FLAGGED,
 *   REINSTATED, PENDING_DELETION…), `reason`, and for a pause `other_info` (`title`, `description`);
 * - `template_category_update`: a completed change carries `previous_category` and `new_category`;
 *   an impending one carries `new_category` (the category now), `correct_category` (the one it
 *   will get) and `category_update_timestamp`;
 * - `message_template_quality_update`: `previous_quality_score`, `new_quality_score`.
 *
 * Each carries `message_template_id` (a number), `message_template_name` and
 * `message_template_language`; `entry[].time` says when it happened (Unix seconds). Loose objects:
 * Meta adds fields without notice.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/template_category_update
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_quality_update
 */
export const TEMPLATE_WEBHOOK_FIELDS = {
  status: 'message_template_status_update',
  category: 'template_category_update',
  quality: 'message_template_quality_update',
} as const;

export type TemplateWebhookField = (typeof TEMPLATE_WEBHOOK_FIELDS)[keyof typeof TEMPLATE_WEBHOOK_FIELDS];

export function isTemplateWebhookField(field: string): field is TemplateWebhookField {
  return (Object.values(TEMPLATE_WEBHOOK_FIELDS) as string[]).includes(field);
}

const templateFields = {
  // A number in Meta's payloads; kept as a string, as every other Graph id is.
  message_template_id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String),
  message_template_name: z.string().min(1),
  message_template_language: z.string().min(1),
};

const statusValue = z.looseObject({
  ...templateFields,
  event: z.string().min(1),
  reason: z.string().nullish(),
  other_info: z.looseObject({ title: z.string().optional(), description: z.string().optional() }).optional(),
});

const categoryValue = z.looseObject({
  ...templateFields,
  new_category: z.string().min(1),
  previous_category: z.string().min(1).optional(),
  correct_category: z.string().min(1).optional(),
});

const qualityValue = z.looseObject({
  ...templateFields,
  new_quality_score: z.string().min(1),
  previous_quality_score: z.string().min(1).optional(),
});

interface TemplateRef {
  kind: 'template';
  templateId: string;
  name: string;
  language: string;
  /** When Meta says it happened (epoch ms): `entry[].time`, else when the webhook was received. */
  at: number;
}

/** A template's status changed (`event` as Meta names it), with Meta's `reason` and `other_info` when given. */
export interface TemplateStatusEvent extends TemplateRef {
  change: 'status';
  event: string;
  reason?: string;
  title?: string;
  description?: string;
}

/**
 * A template's category changed (`previousCategory` set) or is about to change (`previousCategory`
 * absent, `correctCategory` the category it will get; `newCategory` is then the current one).
 */
export interface TemplateCategoryEvent extends TemplateRef {
  change: 'category';
  newCategory: string;
  previousCategory?: string;
  correctCategory?: string;
}

/** A template's quality score changed: GREEN, YELLOW, RED or UNKNOWN. */
export interface TemplateQualityEvent extends TemplateRef {
  change: 'quality';
  newScore: string;
  previousScore?: string;
}

export type TemplateEvent = TemplateStatusEvent | TemplateCategoryEvent | TemplateQualityEvent;

/** A template change as the webhook function queues it: the change's field and value as Meta sent them, and `entry[].time`. */
export interface RawTemplateChange {
  field: unknown;
  value: unknown;
  time?: unknown;
}

export type TemplateEventParse = { ok: true; event: TemplateEvent } | { ok: false; reason: string };

/** Validates one queued template change; `receivedAt` (epoch ms) stands in for a missing `entry[].time`. */
export function parseTemplateEvent(raw: RawTemplateChange, receivedAt: number): TemplateEventParse {
  const at = typeof raw.time === 'number' && Number.isFinite(raw.time) && raw.time > 0 ? raw.time * 1000 : receivedAt;
  switch (raw.field) {
    case TEMPLATE_WEBHOOK_FIELDS.status:
      return parsed(statusValue, raw.value, (v) => ({
        ...ref(v, at),
        change: 'status',
        event: v.event,
        ...(v.reason ? { reason: v.reason } : {}),
        ...(v.other_info?.title ? { title: v.other_info.title } : {}),
        ...(v.other_info?.description ? { description: v.other_info.description } : {}),
      }));
    case TEMPLATE_WEBHOOK_FIELDS.category:
      return parsed(categoryValue, raw.value, (v) => ({
        ...ref(v, at),
        change: 'category',
        newCategory: v.new_category,
        ...(v.previous_category ? { previousCategory: v.previous_category } : {}),
        ...(v.correct_category ? { correctCategory: v.correct_category } : {}),
      }));
    case TEMPLATE_WEBHOOK_FIELDS.quality:
      return parsed(qualityValue, raw.value, (v) => ({
        ...ref(v, at),
        change: 'quality',
        newScore: v.new_quality_score,
        ...(v.previous_quality_score ? { previousScore: v.previous_quality_score } : {}),
      }));
    default:
      return { ok: false, reason: `not a template webhook field: ${JSON.stringify(raw.field)}` };
  }
}

type TemplateFields = { message_template_id: string; message_template_name: string; message_template_language: string };

function ref(value: TemplateFields, at: number): TemplateRef {
  return {
    kind: 'template',
    templateId: value.message_template_id,
    name: value.message_template_name,
    language: value.message_template_language,
    at,
  };
}

function parsed<S extends z.ZodType>(schema: S, value: unknown, toEvent: (value: z.infer<S>) => TemplateEvent): TemplateEventParse {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, event: toEvent(result.data) };
  const problems = result.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`);
  return { ok: false, reason: problems.join('; ') };
}
