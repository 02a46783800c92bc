import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountPreference } from '../../domain/opt-out.ts';
import type { Preference, UserRecord, UserStore } from '../../ports/user-store.ts';
import { batchGetAll, writeIfAllowed } from './dynamo.ts';

export interface UserStoreOptions {
  tableName: string;
  /** Limit-hit items expire this long after their last change (DynamoDB TTL); preference items never do. */
  retentionDays: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The key of a recipient's preference item, beside its limit-hit item (key: the number). Apart,
 * because the limit-hit item expires and an opt-out must not expire with it.
 */
export const preferenceKeyOf = (recipient: string) => `${PREFERENCE_PREFIX}${recipient}`;
export const PREFERENCE_PREFIX = 'preferences#';
/** An account's preference is the attribute `account#<account id>` (`account#*` for every account). */
export const accountAttributeOf = (account: string) => `${ACCOUNT_ATTRIBUTE_PREFIX}${account}`;
export const ACCOUNT_ATTRIBUTE_PREFIX = 'account#';

/** The preference item's accounts, out of its attributes. */
export function preferencesOf(item: Record<string, unknown>): Record<string, AccountPreference> {
  return Object.fromEntries(
    Object.entries(item)
      .filter(([name]) => name.startsWith(ACCOUNT_ATTRIBUTE_PREFIX))
      .map(([name, value]) => [name.slice(ACCOUNT_ATTRIBUTE_PREFIX.length), value as AccountPreference]),
  );
}

/**
 * The users table on DynamoDB, two items per recipient: its 131049 hits (key: the number; they
 * expire) and its opt-outs per account (key: `preferences#<number>`; no TTL). Every change is
 * conditional on Meta's time.
 */
export class DynamoUserStore implements UserStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly options: UserStoreOptions;

  constructor(doc: DynamoDBDocumentClient, options: UserStoreOptions) {
    this.doc = doc;
    this.options = options;
  }

  async getMany(recipients: readonly string[]): Promise<Map<string, UserRecord>> {
    const unique = [...new Set(recipients)];
    const keys = unique.flatMap((recipient) => [{ recipient }, { recipient: preferenceKeyOf(recipient) }]);
    const items = await batchGetAll<Record<string, unknown> & { recipient: string }>(this.doc, this.options.tableName, keys);
    const users = new Map<string, UserRecord>();
    for (const item of items) {
      const isPreferences = item.recipient.startsWith(PREFERENCE_PREFIX);
      const recipient = isPreferences ? item.recipient.slice(PREFERENCE_PREFIX.length) : item.recipient;
      const user = users.get(recipient) ?? { recipient };
      users.set(recipient, isPreferences ? { ...user, preferences: preferencesOf(item) } : { ...(item as UserRecord), ...user });
    }
    return users;
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
    // A late report of an older hit: count it, keep the newer time. The same hit reported again
    // (a duplicate webhook applied by two status batches at once, each before the job moved on) is
    // not a new hit: it is not counted twice.
    if (!newest) {
      await writeIfAllowed(
        this.doc,
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { recipient },
          ConditionExpression: 'lastLimitHitAt <> :at',
          UpdateExpression: 'ADD limitHits :one',
          ExpressionAttributeValues: { ':one': 1, ':at': iso(at) },
        }),
      );
    }
  }

  /**
   * The account's choice, unless a newer one for the account is recorded. A stop removes any
   * expiry: it stays until a resume or an erasure. An item left with resumes only holds nothing
   * worth keeping past the retention period: it expires like a limit-hit item.
   */
  async setPreference(recipient: string, { optedOut, source, at, account }: Preference, now: number): Promise<boolean> {
    const preference: AccountPreference = { optedOut, source, at: iso(at) };
    const key = { recipient: preferenceKeyOf(recipient) };
    let written: Record<string, unknown>;
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: key,
          ConditionExpression: 'attribute_not_exists(#account) OR #account.#at <= :at',
          UpdateExpression: `SET #account = :preference, updatedAt = :now${optedOut ? ' REMOVE expiresAt' : ''}`,
          ExpressionAttributeNames: { '#account': accountAttributeOf(account), '#at': 'at' },
          ExpressionAttributeValues: { ':preference': preference, ':at': preference.at, ':now': iso(now) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      written = result.Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
    if (!Object.values(preferencesOf(written)).some((choice) => choice.optedOut)) {
      // Only if no stop came in meanwhile (each write changes `updatedAt`).
      await writeIfAllowed(
        this.doc,
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: key,
          ConditionExpression: 'updatedAt = :now',
          UpdateExpression: 'SET expiresAt = :exp',
          ExpressionAttributeValues: { ':now': iso(now), ':exp': this.expiry(now) },
        }),
      );
    }
    return true;
  }

  /** TTL (epoch seconds): limit-hit items hold phone numbers, so they expire after the retention period. */
  private expiry(now: number): number {
    return Math.floor(now / 1000) + this.options.retentionDays * 86_400;
  }
}

/** The user store on DynamoDB. */
export function createUserStore(doc: DynamoDBDocumentClient, options: UserStoreOptions): UserStore {
  return new DynamoUserStore(doc, options);
}
