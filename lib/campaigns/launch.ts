import { CAMPAIGN_STATUSES as S } from '../domain/campaign-lifecycle.ts';
import type { CampaignRecord, FeedState, LaunchFacts } from '../ports/campaign-store.ts';
import type { CampaignDeps, PreflightFacts } from './context.ts';
import { followOnSendPath, moveCampaign } from './steer.ts';

export interface LaunchRequest {
  deps: CampaignDeps;
  /** The launch time the campaign asked for (epoch ms), to measure the delay. */
  scheduledAt: number;
}

/**
 * Launches a scheduled campaign exactly once, however many triggers arrive: SCHEDULED →
 * LAUNCHING is a conditional write only one trigger wins; the preflight then moves it on to
 * SENDING, or to FAILED with the problems for the operator. A trigger that finds the campaign
 * stuck in LAUNCHING (its invocation died) runs the preflight again.
 */
export async function launchCampaign(record: CampaignRecord, { deps, scheduledAt }: LaunchRequest): Promise<boolean> {
  const definition = record.definition;
  if (!definition) return false;
  let launching = record;
  if (record.appliedStatus !== S.launching) {
    if (!(await moveCampaign({ record, from: S.scheduled, to: S.launching, actor: 'trigger' }, deps))) return false;
    launching = { ...record, status: S.launching, appliedStatus: S.launching };
  }
  const preflight = await deps.preflight(definition);
  if (!preflight.ok) {
    const reason = `preflight failed: ${preflight.problems.map((problem) => problem.message).join('; ')}`;
    await moveCampaign({ record: launching, from: S.launching, to: S.failed, actor: 'trigger', reason }, deps);
    deps.metric('CampaignPreflightsFailed');
    return false;
  }
  const now = deps.now();
  const { facts, feed } = launchState(launching, preflight.facts, now);
  const change = { campaignId: record.campaignId, from: S.launching, to: S.sending, asked: S.launching, actor: 'trigger', now } as const;
  if (!(await deps.campaigns.recordLaunch(change, facts, feed))) return false;
  await followOnSendPath(record.campaignId, S.sending, 'launched', deps);
  deps.logger.info('campaign launched', {
    campaignId: record.campaignId,
    launchDelayMs: now - scheduledAt,
    ratePerSecond: facts.ratePerSecond,
  });
  deps.metric('CampaignsLaunched');
  deps.metric('CampaignLaunchDelayMs', Math.max(0, now - scheduledAt));
  return true;
}

/** The feed state of a campaign that has read nothing yet. */
export function freshFeed(): FeedState {
  return { checkpoint: { offset: 0, row: 0 }, enqueued: 0, rejected: 0, duplicates: 0, waitingUntil: {}, reportParts: [] };
}

/**
 * The launch's facts and where feeding starts. A campaign launched again after a failure resumes
 * from its checkpoint when the audience is the same object version (the validity still counts
 * from the first launch); a different file is fed from its first row, and the jobs' claims keep
 * anyone who already had the message from getting it twice.
 */
function launchState(record: CampaignRecord, preflight: PreflightFacts, now: number): { facts: LaunchFacts; feed: FeedState } {
  const sameFile = record.launch !== undefined && record.feed !== undefined && record.launch.audienceEtag === preflight.audienceEtag;
  const facts: LaunchFacts = {
    launchedAt: sameFile ? record.launch!.launchedAt : now,
    audienceEtag: preflight.audienceEtag,
    audienceSize: preflight.audienceSize,
    ratePerSecond: preflight.ratePerSecond,
    validitySeconds: preflight.validitySeconds,
    templateTtlSeconds: preflight.templateTtlSeconds,
  };
  if (!sameFile) return { facts, feed: freshFeed() };
  const { fedAt: _fedBefore, ...resumed } = record.feed!;
  return { facts, feed: resumed };
}
