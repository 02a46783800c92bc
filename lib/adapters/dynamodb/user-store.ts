import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UserRecord, UserStore } from '../../ports/user-store.ts';
import { batchGetAll, writeIfAllowed } from './dynamo.ts';

export interface UserStoreOptions {
  tableName: string;
  /** Records expire this long after their last change (DynamoDB TTL). */
  retentionDays: number;
}

export function createUserStore(doc: DynamoDBDocumentClient, options: UserStoreOptions): UserStore {
  const iso = (ms: number) => new Date(ms).toISOString();
  const expiry = (now: number) => Math.floor(now / 1000) + options.retentionDays * 86_400;
  const table = options.tableName;

  return {
    async getMany(recipients) {
      const items = await batchGetAll<UserRecord>(
        doc,
        table,
        [...new Set(recipients)].map((recipient) => ({ recipient })),
      );
      return new Map(items.map((item) => [item.recipient, item]));
    },

    async recordLimitHit(recipient, at, now) {
      const newest = await writeIfAllowed(
        doc,
        new UpdateCommand({
          TableName: table,
          Key: { recipient },
          ConditionExpression: 'attribute_not_exists(lastLimitHitAt) OR lastLimitHitAt < :at',
          UpdateExpression: 'SET lastLimitHitAt = :at, updatedAt = :now, expiresAt = :exp ADD limitHits :one',
          ExpressionAttributeValues: { ':at': iso(at), ':now': iso(now), ':exp': expiry(now), ':one': 1 },
        }),
      );
      // A late report of an older hit: count it, keep the newer time.
      if (!newest) {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { recipient },
            UpdateExpression: 'ADD limitHits :one',
            ExpressionAttributeValues: { ':one': 1 },
          }),
        );
      }
    },

    setPreference(recipient, { optedOut, source, at }, now) {
      return writeIfAllowed(
        doc,
        new UpdateCommand({
          TableName: table,
          Key: { recipient },
          ConditionExpression: 'attribute_not_exists(preferenceAt) OR preferenceAt <= :at',
          UpdateExpression: 'SET optedOut = :optedOut, optOutSource = :source, preferenceAt = :at, updatedAt = :now, expiresAt = :exp',
          ExpressionAttributeValues: { ':optedOut': optedOut, ':source': source, ':at': iso(at), ':now': iso(now), ':exp': expiry(now) },
        }),
      );
    },
  };
}
