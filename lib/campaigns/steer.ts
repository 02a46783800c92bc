import type { CampaignActor, CampaignStatus } from '../domain/campaign-lifecycle.ts';
import { CAMPAIGN_STATUSES as S } from '../domain/campaign-lifecycle.ts';
import type { CampaignRecord } from '../ports/campaign-store.ts';
import type { CampaignDeps } from './context.ts';

/** What the send path does with a campaign's jobs already on the queue, by the campaign's status. */
const CONTROL_OF: Partial<Record<CampaignStatus, 'RUNNING' | 'PAUSED' | 'CANCELLED'>> = {
  [S.sending]: 'RUNNING',
  [S.paused]: 'PAUSED',
  [S.cancelled]: 'CANCELLED',
  [S.failed]: 'PAUSED',
};

export interface Move {
  record: CampaignRecord;
  from: CampaignStatus;
  to: CampaignStatus;
  actor: CampaignActor;
  reason?: string;
}

/**
 * Applies one status change with a write conditional on the item as read, then makes the send
 * path follow it: a pause holds the jobs already queued, a cancel settles them as cancelled, a
 * resume lets them through and feeds on. False when the item changed since it was read.
 */
export async function moveCampaign(move: Move, deps: SteeringDeps): Promise<boolean> {
  const { record, from, to, actor, reason } = move;
  const now = deps.now();
  const applied = await deps.campaigns.applyStatus({
    campaignId: record.campaignId,
    from,
    to,
    asked: record.status,
    actor,
    ...(reason === undefined ? {} : { reason }),
    now,
  });
  if (!applied) return false;
  await followOnSendPath(record.campaignId, to, reason ?? `${actor} set ${to}`, deps);
  deps.logger.info('campaign status changed', { campaignId: record.campaignId, from, to, actor, reason });
  deps.metric(`Campaigns${to[0]}${to.slice(1).toLowerCase()}`);
  return true;
}

/** What a status change needs: the campaign items, and what makes the send path follow. */
export type SteeringDeps = Pick<CampaignDeps, 'campaigns' | 'controls' | 'feeds' | 'now' | 'logger' | 'metric'>;

/** What makes the send path follow a campaign's status: its control item, and the feed queue. */
export type SendPathFollowers = Pick<CampaignDeps, 'controls' | 'feeds' | 'now'>;

/** The control item the send path reads, and a feed when sending (re)starts. */
export async function followOnSendPath(campaignId: string, to: CampaignStatus, reason: string, deps: SendPathFollowers): Promise<void> {
  const control = CONTROL_OF[to];
  if (control) await deps.controls.setCampaignStatus(campaignId, control, reason, deps.now());
  if (to === S.sending) await deps.feeds.kick(campaignId);
}
