import type { ScenarioTemplate, TemplateStatus } from './scenario.ts';

type TemplateCategory = ScenarioTemplate['category'];

/**
 * Meta's rules for editing a template's `message_send_ttl_seconds`: the range per category,
 * which statuses may be edited, and how often an APPROVED template may be.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 */

const DAY_MS = 86_400_000;
const HOUR_S = 3_600;

/** Meta's default TTL per category when a template sets none. */
export const DEFAULT_TTL_SECONDS: Readonly<Record<TemplateCategory, number>> = {
  MARKETING: 30 * 24 * HOUR_S,
  UTILITY: 30 * 24 * HOUR_S,
  AUTHENTICATION: 600,
};

/** The values `message_send_ttl_seconds` may take per category. */
export const TTL_RANGE_SECONDS: Readonly<Record<TemplateCategory, { min: number; max: number }>> = {
  MARKETING: { min: 12 * HOUR_S, max: 30 * 24 * HOUR_S },
  UTILITY: { min: 30, max: 12 * HOUR_S },
  AUTHENTICATION: { min: 30, max: 900 },
};

/** Meta's limits on editing an APPROVED template (REJECTED and PAUSED ones are free to edit). */
export const APPROVED_EDIT_LIMITS = [
  { windowMs: DAY_MS, maxEdits: 1, label: 'once per 24 hours' },
  { windowMs: 30 * DAY_MS, maxEdits: 10, label: '10 times per 30 days' },
] as const;

/** Statuses in which Meta lets a template be edited. */
export const EDITABLE_STATUSES: ReadonlySet<TemplateStatus> = new Set(['APPROVED', 'REJECTED', 'PAUSED']);

/** Why an edit was refused, with the text the Graph error carries. */
export interface TtlEditRefusal {
  reason: 'invalid_ttl' | 'not_editable' | 'edit_limit';
  message: string;
}

/** The parts of a template translation an edit depends on. */
export interface EditableTemplate {
  category: TemplateCategory;
  status: TemplateStatus;
  /** Epoch ms of the edits made while APPROVED. */
  approvedEdits: readonly number[];
}

/** What {@link checkTtlEdit} looks at. */
export interface TtlEditCheck {
  translation: EditableTemplate;
  ttlSeconds: unknown;
  /** Epoch ms on the simulator's clock. */
  at: number;
}

/** The refusal for a TTL edit, or undefined when Meta would accept it. Order: value, status, limits. */
export function checkTtlEdit(check: TtlEditCheck): TtlEditRefusal | undefined {
  const { translation, ttlSeconds, at } = check;
  const range = TTL_RANGE_SECONDS[translation.category];
  if (typeof ttlSeconds !== 'number' || !Number.isInteger(ttlSeconds) || ttlSeconds < range.min || ttlSeconds > range.max) {
    return {
      reason: 'invalid_ttl',
      message: `message_send_ttl_seconds must be an integer from ${range.min} to ${range.max} for ${translation.category} templates, got ${JSON.stringify(ttlSeconds)}.`,
    };
  }
  if (!EDITABLE_STATUSES.has(translation.status)) {
    return { reason: 'not_editable', message: `A template with status ${translation.status} cannot be edited.` };
  }
  if (translation.status !== 'APPROVED') return undefined;
  for (const limit of APPROVED_EDIT_LIMITS) {
    const recent = translation.approvedEdits.filter((editedAt) => at - editedAt < limit.windowMs);
    if (recent.length >= limit.maxEdits) {
      const nextAllowed = new Date((recent[0] ?? at) + limit.windowMs).toISOString();
      return {
        reason: 'edit_limit',
        message: `An approved template can be edited ${limit.label}; the next edit is allowed from ${nextAllowed}.`,
      };
    }
  }
  return undefined;
}
