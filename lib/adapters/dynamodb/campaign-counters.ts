import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CampaignCounters, CounterDeltas, RunOutcome, StreamRun } from '../../ports/campaign-counters.ts';
import { refusedItem } from './dynamo.ts';

export interface CampaignCountersOptions {
  tableName: string;
  /** Shards per campaign, so one campaign's counters never become a hot key at 1,000 sends/s. */
  shards: number;
  random?: () => number;
}

const COUNTER_PREFIX = 'counters#';
/** `counted#<batch id>`: how far a stream batch's job changes were added to the campaign's counters. */
const RUN_MARK_PREFIX = 'counted#';
/** A stream keeps its records for 24 hours, so no batch is handed over again later: a day of margin. */
const RUN_MARK_RETENTION_SECONDS = 2 * 86_400;
/** Stream sequence numbers are decimal strings of 21 to 40 digits: padded, they compare as strings. */
const SEQUENCE_DIGITS = 40;

/** Counter names become attribute names: keep them to a safe alphabet. */
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** Campaign counters on DynamoDB: sharded items per campaign, added to with `ADD` and summed on read. */
export class DynamoCampaignCounters implements CampaignCounters {
  private readonly doc: DynamoDBDocumentClient;
  private readonly options: CampaignCountersOptions;
  private readonly random: () => number;

  constructor(doc: DynamoDBDocumentClient, options: CampaignCountersOptions) {
    this.doc = doc;
    this.options = options;
    this.random = options.random ?? Math.random;
  }

  async add(deltasByCampaign: ReadonlyMap<string, CounterDeltas>): Promise<void> {
    await Promise.all([...deltasByCampaign].map(([campaignId, deltas]) => this.addToOneShard(campaignId, deltas)));
  }

  async addRun(campaignId: string, deltas: CounterDeltas, run: StreamRun): Promise<RunOutcome> {
    const now = Date.now();
    const shard = Math.floor(this.random() * this.options.shards);
    const counterUpdate = counterShardUpdate(this.options.tableName, campaignId, deltas, shard, now);
    const mark = {
      TableName: this.options.tableName,
      Key: { campaignId, item: `${RUN_MARK_PREFIX}${run.batchId}` },
      UpdateExpression: 'SET countedThrough = :last, expiresAt = :expiresAt',
      ConditionExpression: 'attribute_not_exists(countedThrough) OR countedThrough < :first',
      ExpressionAttributeValues: {
        ':first': padded(run.firstSequence),
        ':last': padded(run.lastSequence),
        ':expiresAt': Math.floor(now / 1000) + RUN_MARK_RETENTION_SECONDS,
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    try {
      await this.doc.send(
        new TransactWriteCommand({ TransactItems: [{ Update: mark }, ...(counterUpdate ? [{ Update: counterUpdate }] : [])] }),
      );
      return { added: true };
    } catch (error) {
      const refusal = error instanceof TransactionCanceledException ? error.CancellationReasons?.[0] : undefined;
      if (refusal?.Code !== 'ConditionalCheckFailed') throw error;
      const through = refusal.Item && refusedItem<{ countedThrough?: string }>({ Item: refusal.Item })?.countedThrough;
      if (!through) throw error;
      return { added: false, countedThrough: through.replace(/^0+(?=\d)/, '') };
    }
  }

  async read(campaignId: string): Promise<CounterDeltas> {
    const totals: CounterDeltas = {};
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'campaignId = :c AND begins_with(#item, :prefix)',
          ExpressionAttributeNames: { '#item': 'item' },
          ExpressionAttributeValues: { ':c': campaignId, ':prefix': COUNTER_PREFIX },
          ExclusiveStartKey: startKey,
          ConsistentRead: true,
        }),
      );
      for (const item of page.Items ?? []) {
        for (const [name, value] of Object.entries(item)) {
          if (typeof value === 'number') totals[name] = (totals[name] ?? 0) + value;
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return totals;
  }

  /** One write per campaign and batch, on a random shard. */
  private async addToOneShard(campaignId: string, deltas: CounterDeltas): Promise<void> {
    const shard = Math.floor(this.random() * this.options.shards);
    const update = counterShardUpdate(this.options.tableName, campaignId, deltas, shard, Date.now());
    if (update) await this.doc.send(new UpdateCommand(update));
  }
}

/**
 * The `ADD` of some deltas to one counter shard, as an update's parameters: for a plain
 * UpdateItem, or one item of a TransactWriteItems with the job write that caused them.
 * Undefined when no delta moves anything.
 */
export function counterShardUpdate(tableName: string, campaignId: string, deltas: CounterDeltas, shard: number, now: number) {
  const entries = Object.entries(deltas).filter(([name, n]) => n !== 0 && SAFE_NAME.test(name));
  if (entries.length === 0) return undefined;
  return {
    TableName: tableName,
    Key: { campaignId, item: `${COUNTER_PREFIX}${shard}` },
    UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')} SET updatedAt = :now`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#c${i}`, name])),
    ExpressionAttributeValues: {
      ...Object.fromEntries(entries.map(([, n], i) => [`:c${i}`, n])),
      ':now': new Date(now).toISOString(),
    },
  };
}

const padded = (sequence: string) => sequence.padStart(SEQUENCE_DIGITS, '0');

/** The campaign counters on DynamoDB. */
export function createCampaignCounters(doc: DynamoDBDocumentClient, options: CampaignCountersOptions): CampaignCounters {
  return new DynamoCampaignCounters(doc, options);
}
