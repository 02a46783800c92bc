import type { Logger } from '@aws-lambda-powertools/logger';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../domain/campaign-lifecycle.ts';
import { decideTemplateCampaignMove } from '../domain/template-campaign-rule.ts';
import type { TemplateEvent } from '../domain/template-events.ts';
import type { CampaignRecord, CampaignStore } from '../ports/campaign-store.ts';

export interface ApplyTemplateEventInput {
  event: TemplateEvent;
  campaigns: Pick<CampaignStore, 'listOpen' | 'get' | 'applyStatus'>;
  now: () => number;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Makes the send path follow an applied move: hold or cancel the queued jobs, or feed on after a resume. */
  follow: (campaignId: string, to: CampaignStatus, reason: string) => Promise<void>;
}

/**
 * What happened to one campaign that sends the event's template:
 * - `applied`: moved to `to`;
 * - `unchanged`: the rule wants nothing (`why` says why), or the campaign no longer uses the template;
 * - `conflict`: the item kept changing under us, or an operator's edit of `status` is still waiting
 *   for the ticker to apply it; the event should be tried again later.
 */
export interface TemplateEventOutcome {
  campaignId: string;
  action: 'pause' | 'resume' | 'fail' | 'none';
  result: 'applied' | 'unchanged' | 'conflict';
  from: CampaignStatus;
  to?: CampaignStatus;
  why: string;
}

/** Writes tried per campaign: the first, and one more after re-reading the item when the first lost a race. */
const WRITES_PER_CAMPAIGN = 2;

/**
 * Pauses, resumes or fails the open campaigns that send the event's template (same name and
 * language), as `decideTemplateCampaignMove` says, each with a write conditional on the item as
 * read (actor `meta`); after each applied move the send path follows it (`follow`).
 */
export async function applyTemplateEvent(input: ApplyTemplateEventInput): Promise<TemplateEventOutcome[]> {
  const open = await input.campaigns.listOpen();
  const users = open.filter((record) => usesTemplate(record, input.event));
  const outcomes: TemplateEventOutcome[] = [];
  // One at a time: a handful of campaigns share a template, and each write is conditional anyway.
  for (const record of users) outcomes.push(await applyToCampaign(record, input));
  return outcomes;
}

function usesTemplate(record: CampaignRecord, event: TemplateEvent): boolean {
  const template = record.definition?.template;
  return template?.name === event.name && template.language === event.language;
}

async function applyToCampaign(record: CampaignRecord, input: ApplyTemplateEventInput): Promise<TemplateEventOutcome> {
  let current = record;
  for (let write = 1; ; write++) {
    const from = current.appliedStatus ?? CAMPAIGN_STATUSES.scheduled;
    const base = { campaignId: current.campaignId, from };
    const decision = decideTemplateCampaignMove(input.event, {
      appliedStatus: from,
      ...(current.statusReason === undefined ? {} : { statusReason: current.statusReason }),
    });
    if (decision.action === 'none') return { ...base, action: 'none', result: 'unchanged', why: decision.why };
    const move = { ...base, action: decision.action, to: decision.to };
    // An operator's edit waiting for the ticker: writing over it would lose it (a cancel, say).
    if (current.status !== from)
      return conflict({ ...move, why: `operator's status ${JSON.stringify(current.status)} not applied yet` }, input);
    const written = await input.campaigns.applyStatus({
      campaignId: current.campaignId,
      from,
      to: decision.to,
      asked: current.status,
      actor: 'meta',
      ...(decision.statusReason === undefined ? {} : { reason: decision.statusReason }),
      now: input.now(),
    });
    if (written) {
      await input.follow(current.campaignId, decision.to, decision.statusReason ?? decision.why);
      return applied({ ...move, why: decision.why }, input);
    }
    if (write >= WRITES_PER_CAMPAIGN) return conflict({ ...move, why: 'the campaign changed while the status was written' }, input);
    const reread = await input.campaigns.get(current.campaignId);
    if (!reread || !usesTemplate(reread, input.event)) {
      return { ...base, action: 'none', result: 'unchanged', why: 'the campaign no longer sends this template' };
    }
    current = reread;
  }
}

type Move = Omit<TemplateEventOutcome, 'result'>;

function applied(move: Move, input: ApplyTemplateEventInput): TemplateEventOutcome {
  input.logger.info('campaign moved by a template webhook', { ...move, templateId: input.event.templateId });
  return { ...move, result: 'applied' };
}

function conflict(move: Move, input: ApplyTemplateEventInput): TemplateEventOutcome {
  input.logger.warn('template webhook not applied to a campaign yet', { ...move, templateId: input.event.templateId });
  return { ...move, result: 'conflict' };
}
