import type { Campaign } from '../../lib/domain/campaign-contract.ts';
import type { CampaignFigures } from '../../lib/domain/campaign-figures.ts';
import { CAMPAIGN_STATUSES, FINAL_STATUSES, isCampaignStatus } from '../../lib/domain/campaign-lifecycle.ts';
import type { CampaignCounters, CounterDeltas, RunOutcome } from '../../lib/ports/campaign-counters.ts';
import type {
  CampaignProgress,
  CampaignRecord,
  CampaignStore,
  FeedLease,
  FeedState,
  LaunchFacts,
  StatusChange,
  StatusRefusal,
} from '../../lib/ports/campaign-store.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const isFinal = (status: unknown) => isCampaignStatus(status) && FINAL_STATUSES.includes(status);

/**
 * The campaign store in memory, with the DynamoDB adapter's conditions (every change conditional
 * on what it was decided from). Records are copied in and out, as a table would.
 */
export class MemoryCampaignStore implements CampaignStore {
  readonly records = new Map<string, CampaignRecord>();
  /** Every saveFeed call that was accepted, in order (for tests of checkpoints). */
  readonly savedFeeds: FeedState[] = [];

  async create(campaign: Campaign, now: number): Promise<boolean> {
    if (this.records.has(campaign.campaignId)) return false;
    const { scheduled } = CAMPAIGN_STATUSES;
    this.put({
      campaignId: campaign.campaignId,
      status: scheduled,
      appliedStatus: scheduled,
      definition: campaign,
      createdAt: iso(now),
      statusChangedAt: iso(now),
    });
    return true;
  }

  async get(campaignId: string): Promise<CampaignRecord | undefined> {
    const record = this.records.get(campaignId);
    return record && structuredClone(record);
  }

  async listOpen(): Promise<CampaignRecord[]> {
    return [...this.records.values()].filter((r) => !isFinal(r.status) || !isFinal(r.appliedStatus)).map((r) => structuredClone(r));
  }

  async list(limit: number): Promise<CampaignRecord[]> {
    const all = [...this.records.values()].map((r) => structuredClone(r));
    return all.sort((a, b) => String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? ''))).slice(0, limit);
  }

  async requestStatus(campaignId: string, status: string): Promise<boolean> {
    return this.change(
      campaignId,
      () => true,
      (record) => ({ ...record, status }),
    );
  }

  async applyStatus(change: StatusChange): Promise<boolean> {
    return this.change(
      change.campaignId,
      (record) => asRead(record, change),
      (record) => applied(record, change),
    );
  }

  async recordLaunch(change: StatusChange & { to: 'SENDING' }, facts: LaunchFacts, feed: FeedState): Promise<boolean> {
    return this.change(
      change.campaignId,
      (record) => asRead(record, change),
      (record) => ({ ...applied(record, change), launch: facts, feed }),
    );
  }

  async recordRefusal(campaignId: string, refusal: StatusRefusal): Promise<void> {
    await this.change(
      campaignId,
      (record) => record.refusal?.reason !== refusal.reason,
      (record) => ({ ...record, refusal }),
    );
  }

  async takeFeedLease(campaignId: string, lease: FeedLease, now: number): Promise<FeedState | undefined> {
    const taken = await this.change(
      campaignId,
      (record) => record.feed !== undefined && (!record.lease || record.lease.until < now || record.lease.owner === lease.owner),
      (record) => ({ ...record, lease }),
    );
    return taken ? structuredClone(this.records.get(campaignId)!.feed) : undefined;
  }

  async saveFeed(campaignId: string, lease: FeedLease, previousRow: number, feed: FeedState): Promise<boolean> {
    const saved = await this.change(
      campaignId,
      (record) => record.lease?.owner === lease.owner && record.feed?.checkpoint.row === previousRow,
      (record) => ({ ...record, feed, lease }),
    );
    if (saved) this.savedFeeds.push(structuredClone(feed));
    return saved;
  }

  async releaseFeedLease(campaignId: string, owner: string): Promise<void> {
    await this.change(
      campaignId,
      (record) => record.lease?.owner === owner,
      ({ lease: _lease, ...record }) => record,
    );
  }

  async saveProgress(campaignId: string, progress: CampaignProgress, figures?: CampaignFigures): Promise<void> {
    await this.change(
      campaignId,
      () => true,
      (record) => ({ ...record, progress, ...(figures ? { figures } : {}) }),
    );
  }

  private put(record: CampaignRecord): void {
    this.records.set(record.campaignId, structuredClone(record));
  }

  private async change(
    campaignId: string,
    allowed: (record: CampaignRecord) => boolean,
    next: (record: CampaignRecord) => CampaignRecord,
  ): Promise<boolean> {
    const record = this.records.get(campaignId);
    if (!record || !allowed(record)) return false;
    this.put(next(structuredClone(record)));
    return true;
  }
}

function asRead(record: CampaignRecord, change: StatusChange): boolean {
  const applied = record.appliedStatus ?? CAMPAIGN_STATUSES.scheduled;
  return record.status === change.asked && applied === change.from;
}

function applied(record: CampaignRecord, change: StatusChange): CampaignRecord {
  const { refusal: _refusal, statusReason: _reason, ...rest } = record;
  return {
    ...rest,
    status: change.to,
    appliedStatus: change.to,
    statusChangedAt: iso(change.now),
    ...(change.reason === undefined ? {} : { statusReason: change.reason }),
    ...(change.to === CAMPAIGN_STATUSES.completed ? { completedAt: iso(change.now) } : {}),
  };
}

/** Campaign counters in memory; tests set `values` to say how far the send path has come. */
export class MemoryCampaignCounters implements CampaignCounters {
  values = new Map<string, CounterDeltas>();

  async add(deltasByCampaign: ReadonlyMap<string, CounterDeltas>): Promise<void> {
    for (const [campaignId, deltas] of deltasByCampaign) {
      const totals = this.values.get(campaignId) ?? {};
      for (const [name, delta] of Object.entries(deltas)) totals[name] = (totals[name] ?? 0) + delta;
      this.values.set(campaignId, totals);
    }
  }

  async addRun(campaignId: string, deltas: CounterDeltas): Promise<RunOutcome> {
    await this.add(new Map([[campaignId, deltas]]));
    return { added: true };
  }

  async read(campaignId: string): Promise<CounterDeltas> {
    return { ...(this.values.get(campaignId) ?? {}) };
  }
}
