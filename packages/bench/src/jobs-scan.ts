/**
 * Reads the target's jobs table after a run: job states, claim → accepted per job, and the size of
 * a sample of items. DynamoDB Local (256 MB heap) is fragile after a long run: small pages, each
 * retried.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { JobsTable } from './target.ts';

/** What the jobs table says after a run. */
export interface JobsScan {
  jobStates: Record<string, number>;
  /** Per job with both timestamps, ms. */
  claimToAccepted: number[];
  /** Bytes of a sample of whole items. */
  itemSizes: number[];
  /** Why the scan stopped early; what it read until then is kept. */
  scanError?: string;
}

const SIZE_SAMPLE_ITEMS = 500;
const PAGE_ITEMS = 2_000;

/** Scans the whole table: a sample of whole items for their size, then only the fields needed. Never rejects. */
export async function scanJobs(documents: DynamoDBDocumentClient, jobs: JobsTable): Promise<JobsScan> {
  const scan: JobsScan = { jobStates: {}, claimToAccepted: [], itemSizes: [] };
  try {
    await scanInto(scan, documents, jobs);
  } catch (error) {
    scan.scanError = `jobs table not readable after the run: ${(error as Error).name}: ${(error as Error).message}`;
  }
  return scan;
}

async function scanInto(scan: JobsScan, documents: DynamoDBDocumentClient, jobs: JobsTable): Promise<void> {
  const sample = await withRetries(() => documents.send(new ScanCommand({ TableName: jobs.name, Limit: SIZE_SAMPLE_ITEMS })));
  for (const item of sample.Items ?? []) scan.itemSizes.push(dynamoItemBytes(item));
  const { state, claimedAt, acceptedAt } = jobs.attributes;
  let startKey: Record<string, unknown> | undefined;
  do {
    const exclusiveStartKey = startKey;
    const page = await withRetries(() =>
      documents.send(
        new ScanCommand({
          TableName: jobs.name,
          ExclusiveStartKey: exclusiveStartKey,
          Limit: PAGE_ITEMS,
          ProjectionExpression: '#state, #claimedAt, #acceptedAt',
          ExpressionAttributeNames: { '#state': state, '#claimedAt': claimedAt, '#acceptedAt': acceptedAt },
        }),
      ),
    );
    for (const item of page.Items ?? []) {
      scan.jobStates[String(item[state])] = (scan.jobStates[String(item[state])] ?? 0) + 1;
      const claimed = item[claimedAt];
      const accepted = item[acceptedAt];
      if (typeof claimed === 'string' && typeof accepted === 'string')
        scan.claimToAccepted.push(Date.parse(accepted) - Date.parse(claimed));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** DynamoDB's item size: attribute names plus values (numbers ≈ 1 byte per 2 digits + 1). */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  const valueBytes = (value: unknown): number => {
    if (value === null || value === undefined) return 1;
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').replace(/^0+/, '').length / 2) + 1;
    if (typeof value === 'boolean') return 1;
    if (value instanceof Uint8Array) return value.length;
    if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueBytes(v), 0);
    if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + valueBytes(v) + 1, 0);
    if (typeof value === 'object')
      return (
        3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + valueBytes(v) + 1, 0)
      );
    return 0;
  };
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

async function withRetries<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= tries) throw error;
      await sleep(500 * 2 ** i);
    }
  }
}
