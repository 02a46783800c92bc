import { campaignFigures } from '../domain/campaign-figures.ts';
import { reconcileStatus, CAMPAIGN_STATUSES as S } from '../domain/campaign-lifecycle.ts';
import { campaignProgress } from '../domain/campaign-progress.ts';
import { acceptedChangedAt, isStalled } from '../domain/campaign-stall.ts';
import { launchInstant } from '../domain/launch-time.ts';
import type { CampaignRecord } from '../ports/campaign-store.ts';
import type { CampaignDeps } from './context.ts';
import { launchCampaign } from './launch.ts';
import { moveCampaign } from './steer.ts';

export interface TickOptions {
  /** Campaigns due before the next tick are launched by this one, at their second. */
  lookAheadMs: number;
  /** A launch stuck in LAUNCHING this long (its invocation died) is run again. */
  staleLaunchMs: number;
}

export interface TickResult {
  campaigns: number;
  launched: string[];
  refused: string[];
}

/**
 * One tick of the campaign ticker (every minute): applies what operators asked on the items,
 * launches the campaigns that are due before the next tick, keeps the feed going, writes each
 * campaign's progress and completes the campaigns that are done. One campaign's failure is
 * logged and does not stop the others.
 */
export async function tickCampaigns(deps: CampaignDeps, options: TickOptions): Promise<TickResult> {
  const records = await deps.campaigns.listOpen();
  const result: TickResult = { campaigns: records.length, launched: [], refused: [] };
  await Promise.all(
    records.map(async (record) => {
      try {
        await tickOne(record, { deps, options, result });
      } catch (error) {
        deps.logger.error('campaign tick failed', { campaignId: record.campaignId, error: error as Error });
        deps.metric('CampaignTickErrors');
      }
    }),
  );
  return result;
}

interface TickScope {
  deps: CampaignDeps;
  options: TickOptions;
  result: TickResult;
}

async function tickOne(record: CampaignRecord, scope: TickScope): Promise<void> {
  const { deps, result } = scope;
  const asked = reconcileStatus(record);
  if (asked.kind === 'refuse') {
    await refuse(record, asked.reason, deps);
    result.refused.push(record.campaignId);
  }
  if (asked.kind === 'apply') {
    const moved = await moveCampaign({ record, from: asked.from, to: asked.to, actor: 'operator' }, deps);
    // Scheduled again (after a failure, or a pause before launch): due now, it launches in this tick, not the next.
    if (moved && asked.to === S.scheduled) await launchRescheduled(record.campaignId, scope);
    return;
  }
  if (record.definitionProblem) {
    await refuse(record, `the campaign item does not match the campaign contract: ${record.definitionProblem}`, deps);
    result.refused.push(record.campaignId);
    return;
  }
  const status = asked.status;
  if (status === S.scheduled || (status === S.launching && isStale(record, scope))) await launchWhenDue(record, scope);
  if (status === S.sending || status === S.paused) await keepGoing(record, deps);
}

/** A value the sender does not act on: on the item (once), in the log and as a metric on every tick until it is fixed. */
async function refuse(record: CampaignRecord, reason: string, deps: CampaignDeps): Promise<void> {
  await deps.campaigns.recordRefusal(record.campaignId, { asked: record.status, reason, at: new Date(deps.now()).toISOString() });
  deps.logger.error('campaign edit refused', { campaignId: record.campaignId, reason });
  deps.metric('CampaignEditsRefused');
}

function isStale(record: CampaignRecord, { deps, options }: TickScope): boolean {
  const changedAt = Date.parse(record.statusChangedAt ?? '');
  return Number.isFinite(changedAt) && deps.now() - changedAt > options.staleLaunchMs;
}

/** Launches the campaign at its second if that comes before the next tick; a console edit of the time is read again after the wait. */
async function launchWhenDue(record: CampaignRecord, scope: TickScope): Promise<void> {
  const { deps, options, result } = scope;
  const launch = record.definition && launchInstant(record.definition.launch);
  if (!launch?.ok) return;
  const wait = launch.at - deps.now();
  if (wait > options.lookAheadMs) return;
  let current = record;
  if (wait > 0) {
    await deps.sleep(wait);
    const reread = await deps.campaigns.get(record.campaignId);
    const again = reread?.definition && launchInstant(reread.definition.launch);
    if (!reread || !again?.ok || again.at > deps.now() || reconcileStatus(reread).kind !== 'unchanged') return;
    current = reread;
  }
  if (await launchCampaign(current, { deps, scheduledAt: launch.at })) result.launched.push(record.campaignId);
}

async function launchRescheduled(campaignId: string, scope: TickScope): Promise<void> {
  const record = await scope.deps.campaigns.get(campaignId);
  if (record && reconcileStatus(record).kind === 'unchanged' && record.appliedStatus === S.scheduled) await launchWhenDue(record, scope);
}

/** A sending or paused campaign: its progress on the item, its feed kept going, and its completion. */
async function keepGoing(record: CampaignRecord, deps: CampaignDeps): Promise<void> {
  const { launch, feed } = record;
  if (!launch || !feed) return;
  const now = deps.now();
  const counters = await deps.counters.read(record.campaignId);
  const progress = campaignProgress({
    fed: { ...feed, rowsRead: feed.checkpoint.row, offset: feed.checkpoint.offset, size: launch.audienceSize },
    counters,
    now,
    validUntil: launch.launchedAt + launch.validitySeconds * 1000,
    ratePerSecond: launch.ratePerSecond,
    sendWindow: record.definition?.sendWindow,
  });
  const { done, etaAt, ...figures } = progress;
  const changedAt = acceptedChangedAt(record.progress, figures.accepted, now);
  await deps.campaigns.saveProgress(
    record.campaignId,
    {
      ...figures,
      ...(etaAt === undefined ? {} : { eta: new Date(etaAt).toISOString() }),
      acceptedChangedAt: changedAt,
      updatedAt: new Date(now).toISOString(),
    },
    done ? campaignFigures(counters) : undefined,
  );
  if (record.appliedStatus !== S.sending) return;
  deps.campaignMetric(record.campaignId, 'CampaignProgressPercent', figures.percentDone);
  if (
    !done &&
    isStalled({ readyToSend: figures.readyToSend, acceptedChangedAt: changedAt, now, sendWindow: record.definition?.sendWindow })
  ) {
    deps.logger.error('campaign stalled: nothing accepted for 10 minutes while jobs are ready', { campaignId: record.campaignId });
    deps.metric('CampaignsStalled');
  }
  if (done) {
    await moveCampaign({ record, from: S.sending, to: S.completed, actor: 'feeder', reason: 'every recipient has an outcome' }, deps);
    return;
  }
  const leaseFree = !record.lease || record.lease.until < now;
  if (feed.fedAt === undefined && leaseFree) await deps.feeds.kick(record.campaignId);
}
