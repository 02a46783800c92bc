import { CAMPAIGN_STATUSES as S } from '../domain/campaign-lifecycle.ts';
import { type FeedContext, type FeedResult, feedCampaign } from './feed-campaign.ts';
import { moveCampaign, type SteeringDeps } from './steer.ts';

export interface FeedRunContext {
  feed: FeedContext;
  steering: SteeringDeps;
}

/**
 * One feed of one campaign, and what follows from how it ended: a campaign whose audience file
 * changed (or vanished, or cannot be parsed) fails with that reason; a feed that reached the
 * invocation's end queues its own sequel, so a large audience is fed across invocations without
 * waiting for the ticker.
 */
export async function runFeed({ feed, steering }: FeedRunContext): Promise<FeedResult> {
  const result = await feedCampaign(feed);
  const { campaignId } = feed;
  steering.metric('RowsFed', result.rowsRead);
  steering.metric('JobsFed', result.enqueued);
  if (result.outcome === 'stopped-at-deadline') await steering.feeds.kick(campaignId);
  if (result.outcome === 'failed') await failCampaign(campaignId, result.reason ?? 'the audience could not be read', steering);
  steering.logger.info('feed ended', { campaignId, ...result });
  return result;
}

async function failCampaign(campaignId: string, reason: string, steering: SteeringDeps): Promise<void> {
  const record = await steering.campaigns.get(campaignId);
  const from = record?.appliedStatus;
  if (!record || (from !== S.sending && from !== S.paused)) return;
  // Only SENDING → FAILED is the feeder's move; a paused campaign fails when it is resumed and fed again.
  if (from === S.sending) await moveCampaign({ record, from, to: S.failed, actor: 'feeder', reason }, steering);
}
