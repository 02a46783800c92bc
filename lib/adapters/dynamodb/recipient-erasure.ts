import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { suppressionToKeep, whatsAppIdVariants } from '../../domain/erasure.ts';
import type { RecipientPreferences } from '../../domain/opt-out.ts';
import { ALIAS_PREFIX, jobKeyOf } from '../../jobs/job-record.ts';
import { deadlineBucketOf, OPEN_DEADLINE_SHARDS } from '../../ports/open-deadlines.ts';
import type { ErasureReport, ErasureRequest, RecipientErasure } from '../../ports/recipient-erasure.ts';
import { batchGetAll } from './dynamo.ts';
import { openDeadlinePartitionOf, sortableDeadline } from './open-deadlines.ts';
import { accountAttributeOf, PREFERENCE_PREFIX, preferenceKeyOf, preferencesOf } from './user-store.ts';

export interface RecipientErasureOptions {
  tables: { jobs: string; users: string; campaigns: string };
}

interface Tables {
  doc: DynamoDBDocumentClient;
  tables: RecipientErasureOptions['tables'];
}

type Key = Record<string, string>;
interface JobsTableItem {
  recipient: string;
  campaignId: string;
  validUntil?: string;
}

/**
 * Erasure on DynamoDB. Every table is keyed so that one number's items are found by key, never
 * by a scan: the jobs table by recipient (one Query for its jobs and aliases, one per WhatsApp-id
 * form for the aliases under it), the users table by number, and the open-deadline records by
 * the jobs' deadlines (a Query per shard and deadline span). The jobs go last: while they exist,
 * a failed erasure run again finds everything again.
 */
export function createRecipientErasure(doc: DynamoDBDocumentClient, options: RecipientErasureOptions): RecipientErasure {
  const context: Tables = { doc, tables: options.tables };
  return {
    async erase(request: ErasureRequest): Promise<ErasureReport> {
      const variants = whatsAppIdVariants(request.recipient);
      const { jobs, aliases } = await jobsTableItemsOf(context, request.recipient, variants);
      const openDeadlineEntries = await removeOpenDeadlineEntries(context, jobs, request.recipient);
      const users = await eraseUserItems(context, request, variants);
      await deleteAll(
        context.doc,
        context.tables.jobs,
        [...jobs, ...aliases].map(({ recipient, campaignId }) => ({ recipient, campaignId })),
      );
      return { jobs: { jobs: jobs.length, aliases: aliases.length }, users, campaigns: { openDeadlineEntries } };
    },
  };
}

/** The number's partition (its jobs, and aliases if it is itself a WhatsApp id), and aliases pointing at it from its other form. */
async function jobsTableItemsOf(context: Tables, recipient: string, variants: readonly string[]) {
  const projection = { ProjectionExpression: 'recipient, campaignId, validUntil' };
  const own = await queryAll<JobsTableItem>(context.doc, {
    TableName: context.tables.jobs,
    KeyConditionExpression: 'recipient = :r',
    ExpressionAttributeValues: { ':r': recipient },
    ConsistentRead: true,
    ...projection,
  });
  const pointing = await Promise.all(
    variants.map((variant) =>
      queryAll<JobsTableItem>(context.doc, {
        TableName: context.tables.jobs,
        KeyConditionExpression: 'recipient = :r AND begins_with(campaignId, :alias)',
        FilterExpression: 'aliasOf = :dialled',
        ExpressionAttributeValues: { ':r': variant, ':alias': ALIAS_PREFIX, ':dialled': recipient },
        ConsistentRead: true,
        ...projection,
      }),
    ),
  );
  const isAlias = (item: JobsTableItem) => item.campaignId.startsWith(ALIAS_PREFIX);
  return { jobs: own.filter((item) => !isAlias(item)), aliases: [...own.filter(isAlias), ...pointing.flat()] };
}

/**
 * Takes the number's job keys out of the sweep's open-deadline records. A job is listed under
 * the end of its deadline's 15-minute span, in any of the shards: the records of those spans
 * are read, and each one that lists the number is rewritten without it (deleted when nothing is
 * left). Records are otherwise never changed, so the write is conditional on the list's length.
 */
async function removeOpenDeadlineEntries(context: Tables, jobs: readonly JobsTableItem[], recipient: string): Promise<number> {
  const erased = new Set(jobs.map((job) => jobKeyOf(job.campaignId, recipient)));
  const buckets = new Set(jobs.flatMap((job) => (job.validUntil ? [deadlineBucketOf(Date.parse(job.validUntil))] : [])));
  const shards = Array.from({ length: OPEN_DEADLINE_SHARDS }, (_, shard) => shard);
  const removed = await Promise.all(
    [...buckets].flatMap((bucket) => shards.map((shard) => removeFromSpan(context, { shard, bucket, erased }))),
  );
  return removed.reduce((sum, count) => sum + count, 0);
}

async function removeFromSpan(
  context: Tables,
  { shard, bucket, erased }: { shard: number; bucket: number; erased: ReadonlySet<string> },
): Promise<number> {
  const records = await queryAll<{ campaignId: string; item: string; jobKeys: string[] }>(context.doc, {
    TableName: context.tables.campaigns,
    KeyConditionExpression: 'campaignId = :shard AND begins_with(#item, :span)',
    ExpressionAttributeNames: { '#item': 'item' },
    ExpressionAttributeValues: { ':shard': openDeadlinePartitionOf(shard), ':span': `${sortableDeadline(bucket)}#` },
    ProjectionExpression: 'campaignId, #item, jobKeys',
  });
  let removed = 0;
  for (const record of records) {
    const kept = record.jobKeys.filter((jobKey) => !erased.has(jobKey));
    if (kept.length === record.jobKeys.length) continue;
    const key = { campaignId: record.campaignId, item: record.item };
    const unchanged = { ConditionExpression: 'size(jobKeys) = :listed', ExpressionAttributeValues: { ':listed': record.jobKeys.length } };
    if (kept.length === 0) {
      await context.doc.send(new DeleteCommand({ TableName: context.tables.campaigns, Key: key, ...unchanged }));
    } else {
      await context.doc.send(
        new UpdateCommand({
          TableName: context.tables.campaigns,
          Key: key,
          UpdateExpression: 'SET jobKeys = :kept',
          ConditionExpression: unchanged.ConditionExpression,
          ExpressionAttributeValues: { ...unchanged.ExpressionAttributeValues, ':kept': kept },
        }),
      );
    }
    removed += record.jobKeys.length - kept.length;
  }
  return removed;
}

/**
 * Deletes the number's user items (limit hits, preferences), under its other WhatsApp-id form
 * too. With `keepSuppression`, the recorded choices of a user who opted out are first written
 * back as its preference item, alone: nothing else about the user stays.
 */
async function eraseUserItems(
  context: Tables,
  { recipient, keepSuppression, now }: ErasureRequest,
  variants: readonly string[],
): Promise<ErasureReport['users']> {
  const numbers = [recipient, ...variants];
  const keys = numbers.flatMap((number) => [{ recipient: number }, { recipient: preferenceKeyOf(number) }]);
  const items = await batchGetAll<Record<string, unknown> & { recipient: string }>(context.doc, context.tables.users, keys);
  const choices = items.map(
    (item): RecipientPreferences =>
      item.recipient.startsWith(PREFERENCE_PREFIX) ? { preferences: preferencesOf(item) } : (item as RecipientPreferences),
  );
  const kept = keepSuppression ? suppressionToKeep(choices) : undefined;
  const keptKey = preferenceKeyOf(recipient);
  if (kept) {
    const accounts = Object.fromEntries(Object.entries(kept).map(([account, preference]) => [accountAttributeOf(account), preference]));
    const erasedAt = new Date(now).toISOString();
    await context.doc.send(
      new PutCommand({ TableName: context.tables.users, Item: { recipient: keptKey, ...accounts, updatedAt: erasedAt, erasedAt } }),
    );
  }
  const removed = items.filter((item) => !(kept && item.recipient === keptKey)).map((item) => ({ recipient: item.recipient }));
  await deleteAll(context.doc, context.tables.users, removed);
  return { items: removed.length, suppressionKept: kept !== undefined };
}

async function queryAll<T>(doc: DynamoDBDocumentClient, input: QueryCommandInput): Promise<T[]> {
  const items: T[] = [];
  for await (const page of paginateQuery({ client: doc }, input)) items.push(...((page.Items ?? []) as T[]));
  return items;
}

/** BatchWriteItem, 25 deletes a request, asking again for the ones DynamoDB left unprocessed. */
async function deleteAll(doc: DynamoDBDocumentClient, table: string, keys: readonly Key[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 25) {
    let pending = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 5) throw new Error(`${table}: ${pending.length} deletes left unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const result = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (result.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
}
