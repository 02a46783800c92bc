import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Preference, UserRecord, UserStore } from '../../ports/user-store.ts';
import { batchGetAll, writeIfAllowed } from './dynamo.ts';

export interface UserStoreOptions {
  tableName: string;
  /** Records expire this long after their last change (DynamoDB TTL). */
  retentionDays: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The users table on DynamoDB: 131049 hits and opt-outs per recipient, every change conditional on Meta's time. */
export class DynamoUserStore implements UserStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly options: UserStoreOptions;

  constructor(doc: DynamoDBDocumentClient, options: UserStoreOptions) {
    this.doc = doc;
    this.options = options;
  }

  async getMany(recipients: readonly string[]): Promise<Map<string, UserRecord>> {
    const keys = [...new Set(recipients)].map((recipient) => ({ recipient }));
    const items = await batchGetAll<UserRecord>(this.doc, this.options.tableName, keys);
    return new Map(items.map((item) => [item.recipient, item]));
  }

  async recordLimitHit(recipient: string, at: number, now: number): Promise<void> {
    const newest = await writeIfAllowed(
      this.doc,
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { recipient },
        ConditionExpression: 'attribute_not_exists(lastLimitHitAt) OR lastLimitHitAt < :at',
        UpdateExpression: 'SET lastLimitHitAt = :at, updatedAt = :now, expiresAt = :exp ADD limitHits :one',
        ExpressionAttributeValues: { ':at': iso(at), ':now': iso(now), ':exp': this.expiry(now), ':one': 1 },
      }),
    );
    // A late report of an older hit: count it, keep the newer time.
    if (!newest) {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { recipient },
          UpdateExpression: 'ADD limitHits :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
    }
  }

  setPreference(recipient: string, { optedOut, source, at }: Preference, now: number): Promise<boolean> {
    return writeIfAllowed(
      this.doc,
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: { recipient },
        ConditionExpression: 'attribute_not_exists(preferenceAt) OR preferenceAt <= :at',
        UpdateExpression: 'SET optedOut = :optedOut, optOutSource = :source, preferenceAt = :at, updatedAt = :now, expiresAt = :exp',
        ExpressionAttributeValues: { ':optedOut': optedOut, ':source': source, ':at': iso(at), ':now': iso(now), ':exp': this.expiry(now) },
      }),
    );
  }

  /** TTL (epoch seconds): user items hold phone numbers, so they expire after the retention period. */
  private expiry(now: number): number {
    return Math.floor(now / 1000) + this.options.retentionDays * 86_400;
  }
}

/** The user store on DynamoDB. */
export function createUserStore(doc: DynamoDBDocumentClient, options: UserStoreOptions): UserStore {
  return new DynamoUserStore(doc, options);
}
