import { type CampaignStatus, mayTransition, CAMPAIGN_STATUSES as S } from './campaign-lifecycle.ts';
import type { TemplateEvent, TemplateStatusEvent } from './template-events.ts';

/**
 * What a template webhook means for a campaign that sends that template (same name and language).
 * Pure: the caller reads the campaign and applies the move with a conditional write, actor `meta`.
 *
 * Status events (`message_template_status_update`):
 * - PAUSED: Meta paused the template for low quality (3 h the first time, 6 h the second, disabled
 *   the third); sends are refused while it is paused, and Meta's advice is to halt the campaigns
 *   that use it and resume them only once it is active again → pause a SENDING campaign.
 * - PENDING: the template was edited and is in review again; it cannot be sent until approved →
 *   pause, as for PAUSED.
 * - ARCHIVED: archived templates cannot be sent; unarchiving restores the previous status → pause.
 * - APPROVED, REINSTATED, UNARCHIVED: the template can be sent again → resume a campaign, but only
 *   one that Meta paused (its `statusReason` starts with {@link TEMPLATE_PAUSE_REASON_PREFIX}) and
 *   only for an event that happened after that pause; a campaign an operator paused stays paused.
 * - DISABLED, REJECTED, PENDING_DELETION, DELETED: the template will not come back by itself →
 *   fail a SENDING or PAUSED campaign with the reason (an operator reschedules it once fixed).
 * - FLAGGED (at risk of being disabled, still sendable), LOCKED, IN_APPEAL and the rest: no action.
 *
 * Category events (`template_category_update`): a completed change away from MARKETING fails the
 * campaign, since the MM API sends marketing templates only (docs/meta-api.md#sending). An
 * impending change (no `previous_category`) changes nothing yet: the completed one follows.
 *
 * Quality events (`message_template_quality_update`): no action, not even for RED. A RED template
 * can still be sent, and Meta pauses it by itself when it reaches RED, announcing that with a
 * PAUSED status webhook, which is what pauses the campaign; acting on RED as well would pause
 * campaigns Meta lets send, with no event to resume them.
 *
 * SCHEDULED and LAUNCHING campaigns are left to the launch's preflight, which refuses a template
 * that cannot be sent; final and FAILED campaigns are left as they are.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_status_update
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-pausing
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-archival
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/template_category_update
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/message_template_quality_update
 */

/** How every pause by a template webhook's `statusReason` starts: the sign that Meta, not an operator, paused the campaign. */
export const TEMPLATE_PAUSE_REASON_PREFIX = 'template paused by Meta:';

/** The only category the MM API sends. */
const MARKETING = 'MARKETING';

const PAUSING_EVENTS: readonly string[] = ['PAUSED', 'PENDING', 'ARCHIVED'];
const RESUMING_EVENTS: readonly string[] = ['APPROVED', 'REINSTATED', 'UNARCHIVED'];
const FAILING_EVENTS: readonly string[] = ['DISABLED', 'REJECTED', 'PENDING_DELETION', 'DELETED'];

/** The campaign as the rule needs it: what the sender has applied and why. */
export interface CampaignState {
  appliedStatus: CampaignStatus;
  statusReason?: string;
}

export type TemplateCampaignDecision =
  /** Move the campaign to `to`; `statusReason` is what the item should say (absent on a resume, which clears it). */
  { action: 'pause' | 'resume' | 'fail'; to: CampaignStatus; why: string; statusReason?: string } | { action: 'none'; why: string };

type Action = 'pause' | 'resume' | 'fail';

const TARGET: Record<Action, CampaignStatus> = { pause: S.paused, resume: S.sending, fail: S.failed };

/** What `campaign` should do about `event`. */
export function decideTemplateCampaignMove(event: TemplateEvent, campaign: CampaignState): TemplateCampaignDecision {
  const wanted = wantedAction(event);
  if (wanted.action === 'none') return wanted;
  const to = TARGET[wanted.action];
  if (!mayTransition(campaign.appliedStatus, to, 'meta')) {
    return { action: 'none', why: `${describe(event)}: nothing to do for a ${campaign.appliedStatus} campaign` };
  }
  if (wanted.action === 'resume') return resumeDecision(event, campaign);
  const statusReason =
    wanted.action === 'pause' ? `${TEMPLATE_PAUSE_REASON_PREFIX} ${describe(event)}` : `template unusable: ${describe(event)}`;
  return { action: wanted.action, to, why: statusReason, statusReason };
}

function wantedAction(event: TemplateEvent): { action: Action } | { action: 'none'; why: string } {
  switch (event.change) {
    case 'status':
      if (PAUSING_EVENTS.includes(event.event)) return { action: 'pause' };
      if (RESUMING_EVENTS.includes(event.event)) return { action: 'resume' };
      if (FAILING_EVENTS.includes(event.event)) return { action: 'fail' };
      return { action: 'none', why: `${describe(event)}: the template can still be sent` };
    case 'category':
      if (event.previousCategory === undefined) return { action: 'none', why: `${describe(event)}: not changed yet` };
      if (event.newCategory === MARKETING) return { action: 'none', why: `${describe(event)}: still a marketing template` };
      return { action: 'fail' };
    case 'quality':
      return { action: 'none', why: `${describe(event)}: Meta pauses a template itself when its quality requires it` };
  }
}

/** A resume undoes only a pause by a template webhook that happened before the event. */
function resumeDecision(event: TemplateEvent, campaign: CampaignState): TemplateCampaignDecision {
  const pause = metaPauseOf(campaign.statusReason);
  if (!pause) return { action: 'none', why: `${describe(event)}: the campaign was not paused by Meta` };
  if (pause.at !== undefined && event.at < pause.at) {
    return { action: 'none', why: `${describe(event)}: happened before the pause it would undo` };
  }
  return { action: 'resume', to: S.sending, why: `${describe(event)}: the template can be sent again` };
}

/** A pause written by this rule, and when Meta's event happened (epoch ms) if the reason still says so. */
export function metaPauseOf(statusReason: string | undefined): { at?: number } | undefined {
  if (!statusReason?.startsWith(TEMPLATE_PAUSE_REASON_PREFIX)) return undefined;
  // The last time in the reason: Meta's own text before it may mention times too.
  const at = Date.parse(/.* at (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(statusReason)?.[1] ?? '');
  return Number.isNaN(at) ? {} : { at };
}

/** One line for an operator: the template, what Meta said and when (the time is read back by `metaPauseOf`). */
function describe(event: TemplateEvent): string {
  const what = event.change === 'status' ? statusText(event) : changeText(event);
  return `${event.name} (${event.language}) ${what} at ${new Date(event.at).toISOString()}`;
}

function statusText(event: TemplateStatusEvent): string {
  const details = [event.reason && event.reason !== 'NONE' ? event.reason : undefined, event.title, event.description].filter(Boolean);
  return details.length > 0 ? `${event.event} (${details.join(': ')})` : event.event;
}

function changeText(event: Exclude<TemplateEvent, TemplateStatusEvent>): string {
  if (event.change === 'quality') return `quality ${event.previousScore ?? '?'} → ${event.newScore}`;
  const next = event.previousCategory === undefined ? `${event.correctCategory ?? '?'} (impending)` : event.newCategory;
  return `category ${event.previousCategory ?? event.newCategory} → ${next}`;
}
