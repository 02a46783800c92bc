import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CampaignCounters, CounterDeltas } from '../../ports/campaign-counters.ts';

export interface CampaignCountersOptions {
  tableName: string;
  /** Shards per campaign, so one campaign's counters never become a hot key at 1,000 sends/s. */
  shards: number;
  random?: () => number;
}

const COUNTER_PREFIX = 'counters#';

/** Counter names become attribute names: keep them to a safe alphabet. */
const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export function createCampaignCounters(doc: DynamoDBDocumentClient, options: CampaignCountersOptions): CampaignCounters {
  const random = options.random ?? Math.random;
  return {
    async add(deltasByCampaign) {
      await Promise.all(
        [...deltasByCampaign].map(async ([campaignId, deltas]) => {
          const entries = Object.entries(deltas).filter(([name, n]) => n !== 0 && SAFE_NAME.test(name));
          if (entries.length === 0) return;
          const shard = Math.floor(random() * options.shards);
          await doc.send(
            new UpdateCommand({
              TableName: options.tableName,
              Key: { campaignId, item: `${COUNTER_PREFIX}${shard}` },
              UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(', ')} SET updatedAt = :now`,
              ExpressionAttributeNames: Object.fromEntries(entries.map(([name], i) => [`#c${i}`, name])),
              ExpressionAttributeValues: {
                ...Object.fromEntries(entries.map(([, n], i) => [`:c${i}`, n])),
                ':now': new Date().toISOString(),
              },
            }),
          );
        }),
      );
    },

    async read(campaignId) {
      const totals: CounterDeltas = {};
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: options.tableName,
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
    },
  };
}
