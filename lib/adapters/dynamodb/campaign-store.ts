import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Campaign, campaignSchema } from '../../domain/campaign-contract.ts';
import type { CampaignFigures } from '../../domain/campaign-figures.ts';
import { CAMPAIGN_STATUSES, type CampaignStatus, FINAL_STATUSES, isCampaignStatus } from '../../domain/campaign-lifecycle.ts';
import type {
  CampaignProgress,
  CampaignRecord,
  CampaignStore,
  FeedLease,
  FeedState,
  LaunchFacts,
  StatusChange,
  StatusRefusal,
} from '../../ports/campaign-store.ts';
import { batchGetAll, writeIfAllowed } from './dynamo.ts';

/** The sort key of a campaign's definition item; its counters are `counters#N` beside it. */
export const CAMPAIGN_ITEM = 'campaign';
/** The index of every campaign item by `item` (an inverted index: `item` then `campaignId`), keys and statuses only. */
export const CAMPAIGN_INDEX = 'campaigns-by-item';

/** Attributes the sender keeps on the item beside the campaign's definition. */
const SENDER_ATTRIBUTES = [
  'campaignId',
  'item',
  'status',
  'appliedStatus',
  'statusReason',
  'statusChangedAt',
  'launched',
  'feed',
  'feedLease',
  'progress',
  'refusal',
  'createdAt',
  'updatedAt',
  'completedAt',
  'figures',
] as const;

type Item = Record<string, unknown>;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Campaign items on DynamoDB: the campaign file's fields as top-level attributes (what an
 * operator sees and edits in the console), plus the sender's own attributes. Every change is a
 * conditional write on the values it was decided from.
 */
export class DynamoCampaignStore implements CampaignStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, options: { tableName: string }) {
    this.doc = doc;
    this.table = options.tableName;
  }

  async create(campaign: Campaign, now: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...campaign,
            item: CAMPAIGN_ITEM,
            status: CAMPAIGN_STATUSES.scheduled,
            appliedStatus: CAMPAIGN_STATUSES.scheduled,
            createdAt: iso(now),
            statusChangedAt: iso(now),
          },
          ConditionExpression: 'attribute_not_exists(campaignId)',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(campaignId: string): Promise<CampaignRecord | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { campaignId, item: CAMPAIGN_ITEM }, ConsistentRead: true }),
    );
    return Item ? recordOf(Item) : undefined;
  }

  async listOpen(): Promise<CampaignRecord[]> {
    const keys = await this.indexEntries();
    const open = keys.filter((entry) => !isFinal(entry.status) || !isFinal(entry.appliedStatus));
    return this.readAll(open.map((entry) => entry.campaignId));
  }

  async list(limit: number): Promise<CampaignRecord[]> {
    const records = await this.readAll((await this.indexEntries()).map((entry) => entry.campaignId));
    return records.sort((a, b) => String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? ''))).slice(0, limit);
  }

  requestStatus(campaignId: string, status: string, now: number): Promise<boolean> {
    return this.update(campaignId, {
      ConditionExpression: 'attribute_exists(campaignId)',
      UpdateExpression: 'SET #status = :status, updatedAt = :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':status': status, ':now': iso(now) },
    });
  }

  applyStatus(change: StatusChange): Promise<boolean> {
    return this.update(change.campaignId, statusUpdate(change));
  }

  recordLaunch(change: StatusChange & { to: 'SENDING' }, facts: LaunchFacts, feed: FeedState): Promise<boolean> {
    const update = statusUpdate(change);
    return this.update(change.campaignId, {
      ...update,
      UpdateExpression: `${update.UpdateExpression.replace(/^SET /, 'SET launched = :facts, feed = :feed, ')}`,
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':facts': facts, ':feed': feed },
    });
  }

  async recordRefusal(campaignId: string, refusal: StatusRefusal): Promise<void> {
    // Written once per refused value, so the console shows when it was first refused.
    await this.update(campaignId, {
      ConditionExpression: 'attribute_exists(campaignId) AND (attribute_not_exists(refusal) OR refusal.reason <> :reason)',
      UpdateExpression: 'SET refusal = :refusal',
      ExpressionAttributeValues: { ':refusal': refusal, ':reason': refusal.reason },
    });
  }

  async takeFeedLease(campaignId: string, lease: FeedLease, now: number): Promise<FeedState | undefined> {
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { campaignId, item: CAMPAIGN_ITEM },
          ConditionExpression:
            'attribute_exists(feed) AND (attribute_not_exists(feedLease) OR feedLease.#until < :now OR feedLease.#owner = :owner)',
          UpdateExpression: 'SET feedLease = :lease',
          ExpressionAttributeNames: { '#until': 'until', '#owner': 'owner' },
          ExpressionAttributeValues: { ':lease': lease, ':now': now, ':owner': lease.owner },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes?.feed as FeedState;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  saveFeed(campaignId: string, lease: FeedLease, previousRow: number, feed: FeedState): Promise<boolean> {
    return this.update(campaignId, {
      ConditionExpression: 'feedLease.#owner = :owner AND feed.checkpoint.#row = :previous',
      UpdateExpression: 'SET feed = :feed, feedLease = :lease',
      ExpressionAttributeNames: { '#owner': 'owner', '#row': 'row' },
      ExpressionAttributeValues: { ':owner': lease.owner, ':previous': previousRow, ':feed': feed, ':lease': lease },
    });
  }

  async releaseFeedLease(campaignId: string, owner: string): Promise<void> {
    await this.update(campaignId, {
      ConditionExpression: 'feedLease.#owner = :owner',
      UpdateExpression: 'REMOVE feedLease',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': owner },
    });
  }

  async saveProgress(campaignId: string, progress: CampaignProgress, figures?: CampaignFigures): Promise<void> {
    await this.update(campaignId, {
      ConditionExpression: 'attribute_exists(campaignId)',
      UpdateExpression: `SET progress = :progress${figures ? ', figures = :figures' : ''}`,
      ExpressionAttributeValues: { ':progress': progress, ...(figures ? { ':figures': figures } : {}) },
    });
  }

  /** Every campaign item's id and statuses, from the index (no scan of the counters beside them). */
  private async indexEntries(): Promise<Array<{ campaignId: string; status?: unknown; appliedStatus?: unknown }>> {
    const entries: Array<{ campaignId: string; status?: unknown; appliedStatus?: unknown }> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: CAMPAIGN_INDEX,
          KeyConditionExpression: '#item = :campaign',
          ExpressionAttributeNames: { '#item': 'item' },
          ExpressionAttributeValues: { ':campaign': CAMPAIGN_ITEM },
          ExclusiveStartKey: startKey,
        }),
      );
      entries.push(...((page.Items ?? []) as typeof entries));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries;
  }

  private async readAll(campaignIds: readonly string[]): Promise<CampaignRecord[]> {
    const items = await batchGetAll<Item>(
      this.doc,
      this.table,
      campaignIds.map((campaignId) => ({ campaignId, item: CAMPAIGN_ITEM })),
    );
    return items.map(recordOf).sort((a, b) => a.campaignId.localeCompare(b.campaignId));
  }

  private update(
    campaignId: string,
    input: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'ConditionExpression' | 'UpdateExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    return writeIfAllowed(this.doc, new UpdateCommand({ TableName: this.table, Key: { campaignId, item: CAMPAIGN_ITEM }, ...input }));
  }
}

const isFinal = (status: unknown) => isCampaignStatus(status) && FINAL_STATUSES.includes(status);

/** A status change's write: conditional on both statuses as read, clearing a refusal the change answers. */
function statusUpdate(change: StatusChange) {
  // An item an operator wrote by hand has no appliedStatus: it counts as SCHEDULED.
  const appliedAsRead =
    change.from === CAMPAIGN_STATUSES.scheduled
      ? '(appliedStatus = :from OR attribute_not_exists(appliedStatus))'
      : 'appliedStatus = :from';
  const reason = change.reason === undefined ? '' : ', statusReason = :reason';
  const completed = change.to === CAMPAIGN_STATUSES.completed ? ', completedAt = :now' : '';
  return {
    ConditionExpression: `#status = :asked AND ${appliedAsRead}`,
    UpdateExpression:
      `SET #status = :to, appliedStatus = :to, statusChangedAt = :now, updatedAt = :now${reason}${completed}` +
      ` REMOVE refusal${change.reason === undefined ? ', statusReason' : ''}`,
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':asked': change.asked,
      ':from': change.from,
      ':to': change.to,
      ':now': iso(change.now),
      ...(change.reason === undefined ? {} : { ':reason': change.reason }),
    },
  };
}

/** The item as the sender reads it: its definition parsed by the campaign contract, the sender's attributes typed. */
export function recordOf(item: Item): CampaignRecord {
  const definitionFields = Object.fromEntries(
    Object.entries(item).filter(([name]) => !(SENDER_ATTRIBUTES as readonly string[]).includes(name)),
  );
  const parsed = campaignSchema.safeParse({ ...definitionFields, campaignId: item.campaignId });
  const applied = item.appliedStatus;
  return {
    campaignId: String(item.campaignId),
    status: item.status,
    ...(isCampaignStatus(applied) ? { appliedStatus: applied as CampaignStatus } : {}),
    ...(typeof item.statusReason === 'string' ? { statusReason: item.statusReason } : {}),
    ...(parsed.success
      ? { definition: parsed.data }
      : { definitionProblem: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(item)'}: ${issue.message}`).join('; ') }),
    ...(item.launched ? { launch: item.launched as LaunchFacts } : {}),
    ...(item.feed ? { feed: item.feed as FeedState } : {}),
    ...(item.feedLease ? { lease: item.feedLease as FeedLease } : {}),
    ...(item.progress ? { progress: item.progress as CampaignProgress } : {}),
    ...(item.refusal ? { refusal: item.refusal as StatusRefusal } : {}),
    ...(typeof item.completedAt === 'string' ? { completedAt: item.completedAt } : {}),
    ...(typeof item.createdAt === 'string' ? { createdAt: item.createdAt } : {}),
    ...(typeof item.statusChangedAt === 'string' ? { statusChangedAt: item.statusChangedAt } : {}),
    ...(item.figures ? { figures: item.figures as CampaignFigures } : {}),
  };
}
