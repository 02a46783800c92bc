import { DeleteCommand, type DynamoDBDocumentClient, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { EVERY_ACCOUNT } from '../../domain/opt-out.ts';
import type { PreferenceSource } from '../../ports/user-store.ts';
import { writeIfAllowed } from './dynamo.ts';
import { createUserStore, PREFERENCE_PREFIX } from './user-store.ts';

interface LegacyOptOut {
  recipient: string;
  optedOut: boolean;
  optOutSource?: string;
  preferenceAt?: string;
  lastLimitHitAt?: string;
}

export interface LegacyMoveReport {
  /** Legacy choices now recorded as every-account ones (or found older than the one recorded). */
  moved: number;
  /** Legacy items that held nothing else, deleted. */
  deleted: number;
}

/**
 * Moves the opt-outs recorded before 0.3 (`optedOut` on a recipient's limit-hit item, which
 * expires) to the recipient's preference item as every-account choices, which do not: a one-off
 * scan of the users table at the upgrade. Safe to run again and beside the functions: each
 * choice is written unless a newer one is recorded, and the old fields are removed only while
 * they are still the ones read.
 */
export async function moveLegacyOptOuts(doc: DynamoDBDocumentClient, tableName: string, now: number): Promise<LegacyMoveReport> {
  const users = createUserStore(doc, { tableName, retentionDays: 400 });
  const report: LegacyMoveReport = { moved: 0, deleted: 0 };
  const scan = paginateScan(
    { client: doc },
    {
      TableName: tableName,
      FilterExpression: 'attribute_exists(optedOut)',
      ProjectionExpression: 'recipient, optedOut, optOutSource, preferenceAt, lastLimitHitAt',
    },
  );
  for await (const page of scan) {
    for (const item of (page.Items ?? []) as LegacyOptOut[]) {
      if (item.recipient.startsWith(PREFERENCE_PREFIX)) continue;
      const at = item.preferenceAt ? Date.parse(item.preferenceAt) : 0;
      const source = (item.optOutSource ?? 'unknown source') as PreferenceSource;
      await users.setPreference(item.recipient, { optedOut: item.optedOut, source, at, account: EVERY_ACCOUNT }, now);
      report.moved++;
      if (await removeLegacyFields(doc, tableName, item)) report.deleted++;
    }
  }
  return report;
}

/** Removes the moved fields; deletes the item when they were all it held. True when deleted. */
async function removeLegacyFields(doc: DynamoDBDocumentClient, tableName: string, item: LegacyOptOut): Promise<boolean> {
  const unchanged = item.preferenceAt
    ? { ConditionExpression: 'preferenceAt = :seen', ExpressionAttributeValues: { ':seen': item.preferenceAt } }
    : { ConditionExpression: 'attribute_not_exists(preferenceAt)' };
  if (item.lastLimitHitAt === undefined) {
    try {
      await doc.send(
        new DeleteCommand({
          TableName: tableName,
          Key: { recipient: item.recipient },
          ...unchanged,
          ConditionExpression: `${unchanged.ConditionExpression} AND attribute_not_exists(lastLimitHitAt)`,
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }
  await writeIfAllowed(
    doc,
    new UpdateCommand({
      TableName: tableName,
      Key: { recipient: item.recipient },
      UpdateExpression: 'REMOVE optedOut, optOutSource, preferenceAt',
      ...unchanged,
    }),
  );
  return false;
}
