import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** What the sender knows about one recipient, across campaigns. Personal data: it expires. */
export interface UserRecord {
  recipient: string;
  /** Last 131049 (per-user marketing limit) and how many so far. */
  lastLimitHitAt?: string;
  limitHits?: number;
  /** Marketing opt-out, from 131050, `user_preferences`, a quick reply or a keyword. */
  optedOut?: boolean;
  optOutSource?: string;
  /** Time of the preference event that set `optedOut`: an older event never overrides a newer one. */
  preferenceAt?: string;
  updatedAt: string;
  expiresAt: number;
}

export type PreferenceSource = '131050' | 'user_preferences' | 'quick_reply' | 'keyword';

export interface UserStore {
  /** One BatchGetItem per 100 recipients: a send batch costs one read request. */
  getMany(recipients: readonly string[]): Promise<Map<string, UserRecord>>;
  recordLimitHit(recipient: string, at: number, now: number): Promise<void>;
  /** Records an opt-out or a resume unless a newer preference is already recorded. */
  setPreference(recipient: string, optedOut: boolean, source: PreferenceSource, at: number, now: number): Promise<boolean>;
}

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
      const found = new Map<string, UserRecord>();
      const unique = [...new Set(recipients)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Array<Record<string, unknown>> | undefined = unique.slice(i, i + 100).map((recipient) => ({ recipient }));
        for (let attempt = 0; keys && keys.length > 0; attempt++) {
          if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
          if (attempt > 5) throw new Error(`user records unreadable: ${keys.length} keys left unprocessed`);
          const result = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
          for (const item of result.Responses?.[table] ?? []) found.set(item.recipient as string, item as UserRecord);
          keys = result.UnprocessedKeys?.[table]?.Keys as Array<Record<string, unknown>> | undefined;
        }
      }
      return found;
    },

    async recordLimitHit(recipient, at, now) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { recipient },
            ConditionExpression: 'attribute_not_exists(lastLimitHitAt) OR lastLimitHitAt < :at',
            UpdateExpression: 'SET lastLimitHitAt = :at, updatedAt = :now, expiresAt = :exp ADD limitHits :one',
            ExpressionAttributeValues: { ':at': iso(at), ':now': iso(now), ':exp': expiry(now), ':one': 1 },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // A late report of an older hit: count it, keep the newer time.
        await doc.send(
          new UpdateCommand({ TableName: table, Key: { recipient }, UpdateExpression: 'ADD limitHits :one', ExpressionAttributeValues: { ':one': 1 } }),
        );
      }
    },

    async setPreference(recipient, optedOut, source, at, now) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { recipient },
            ConditionExpression: 'attribute_not_exists(preferenceAt) OR preferenceAt <= :at',
            UpdateExpression: 'SET optedOut = :optedOut, optOutSource = :source, preferenceAt = :at, updatedAt = :now, expiresAt = :exp',
            ExpressionAttributeValues: { ':optedOut': optedOut, ':source': source, ':at': iso(at), ':now': iso(now), ':exp': expiry(now) },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
