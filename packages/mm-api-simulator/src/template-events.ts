import { z } from 'zod';
import { QUALITY_SCORES, TEMPLATE_STATUSES } from './scenario.ts';
import type { TemplateCatalog, TemplateTranslation } from './template-catalog.ts';
import {
  DEFAULT_PAUSE_INFO,
  type TemplateEventSubject,
  type TemplateWebhookPayload,
  templateCategoryPayload,
  templateQualityPayload,
  templateStatusPayload,
} from './template-webhooks.ts';
import type { Emission } from './webhook-emitter.ts';
import { unixSeconds } from './webhook-payloads.ts';

/**
 * "Meta changed the template": a new status, quality score or category, applied to the catalog
 * (so that sends and Graph reads follow it) and announced with the matching template webhook.
 */

/** What the control call may change; at least one of status, qualityScore, category. */
export const templateChangeSchema = z
  .strictObject({
    /** Also `REINSTATED`: Meta's event for a template approved again; it sets APPROVED. */
    status: z.enum([...TEMPLATE_STATUSES, 'REINSTATED']).optional(),
    /** `reason` of the status webhook; default "NONE". */
    reason: z.string().min(1).optional(),
    /** `other_info` of the status webhook; a PAUSED status gets Meta's first-pause text by default. */
    otherInfo: z.strictObject({ title: z.string().min(1), description: z.string().min(1) }).optional(),
    qualityScore: z.enum(QUALITY_SCORES).optional(),
    category: z.enum(['MARKETING', 'UTILITY', 'AUTHENTICATION']).optional(),
  })
  .refine((change) => change.status !== undefined || change.qualityScore !== undefined || change.category !== undefined, {
    message: 'needs status, qualityScore or category',
  });

/** A change of a template, as the control API and `updateTemplate` take it. */
export type TemplateChange = z.input<typeof templateChangeSchema>;

/** No template translation has this id. */
export class UnknownTemplateError extends Error {
  constructor(id: string) {
    super(`No template with id ${id} in the scenario`);
    this.name = 'UnknownTemplateError';
  }
}

/** What {@link applyTemplateChange} works with. */
export interface TemplateChangeInput {
  catalog: TemplateCatalog;
  id: string;
  change: TemplateChange;
  now: () => number;
  /** Emits a template webhook (undefined when there is no target or no `webhooks`). */
  emit: (payload: TemplateWebhookPayload) => Emission | undefined;
}

function subjectOf(template: TemplateTranslation, now: number): TemplateEventSubject {
  const { wabaId, id, name, language, category } = template;
  return { wabaId, id, name, language, category, time: unixSeconds(now) };
}

/**
 * Applies the change (quality, then status, then category, the order in which Meta usually
 * reports a pause) and emits one webhook per changed aspect.
 *
 * @throws UnknownTemplateError for an id the catalog does not hold.
 */
export function applyTemplateChange(input: TemplateChangeInput): { template: TemplateTranslation; emissions: Emission[] } {
  const { catalog, change } = input;
  const template = catalog.byId(input.id);
  if (!template) throw new UnknownTemplateError(input.id);
  const payloads: TemplateWebhookPayload[] = [];
  if (change.qualityScore !== undefined) {
    const previous = catalog.setQuality(template, change.qualityScore);
    payloads.push(templateQualityPayload(subjectOf(template, input.now()), previous, change.qualityScore));
  }
  if (change.status !== undefined) {
    template.status = change.status === 'REINSTATED' ? 'APPROVED' : change.status;
    const otherInfo = change.otherInfo ?? (change.status === 'PAUSED' ? DEFAULT_PAUSE_INFO : undefined);
    const event = { status: change.status, reason: change.reason ?? 'NONE', ...(otherInfo ? { otherInfo } : {}) };
    payloads.push(templateStatusPayload(subjectOf(template, input.now()), event));
  }
  if (change.category !== undefined) {
    const previous = template.category;
    template.category = change.category;
    payloads.push(templateCategoryPayload(subjectOf(template, input.now()), previous, change.category));
  }
  const emissions = payloads.map((payload) => input.emit(payload)).filter((emission) => emission !== undefined);
  return { template, emissions };
}
