import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { OPEN_DEADLINE_SHARDS, type OpenDeadlines } from '../../ports/open-deadlines.ts';

export interface OpenDeadlinesOptions {
  /** The campaigns table: record keys cannot clash with campaigns (campaign ids cannot contain `#`). */
  tableName: string;
  random?: () => number;
  newId?: () => string;
}

/** A job key is at most 145 bytes (a 128-character campaign id, `#`, a phone number): records stay far below DynamoDB's 400 KB. */
const MAX_KEYS_PER_RECORD = 2_000;

/** A record outlives its deadline by this much: a sweep that falls behind (an outage) still finds it. */
const RETENTION_SECONDS = 7 * 86_400;

export const openDeadlinePartitionOf = (shard: number) => `sweep#open#${shard}`;

/** Fixed width, so the sort key's string order is the deadlines' order. */
export const sortableDeadline = (ms: number) => String(ms).padStart(13, '0');

export function createOpenDeadlines(doc: DynamoDBDocumentClient, options: OpenDeadlinesOptions): OpenDeadlines {
  const random = options.random ?? Math.random;
  const newId = options.newId ?? randomUUID;
  return {
    async record(jobKeys, deadline) {
      const chunks = Array.from({ length: Math.ceil(jobKeys.length / MAX_KEYS_PER_RECORD) }, (_, i) =>
        jobKeys.slice(i * MAX_KEYS_PER_RECORD, (i + 1) * MAX_KEYS_PER_RECORD),
      );
      await Promise.all(
        chunks.map((chunk) =>
          doc.send(
            new PutCommand({
              TableName: options.tableName,
              // The record id keeps two records with the same deadline apart.
              Item: {
                campaignId: openDeadlinePartitionOf(Math.floor(random() * OPEN_DEADLINE_SHARDS)),
                item: `${sortableDeadline(deadline)}#${newId()}`,
                jobKeys: chunk,
                expiresAt: Math.floor(deadline / 1000) + RETENTION_SECONDS,
              },
            }),
          ),
        ),
      );
    },

    async page(shard, after, upTo, startKey) {
      const result = await doc.send(
        new QueryCommand({
          TableName: options.tableName,
          // From the first deadline after `after` up to every record of `upTo`: `~` sorts after `#` and any id.
          KeyConditionExpression: 'campaignId = :shard AND #item BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#item': 'item' },
          ExpressionAttributeValues: {
            ':shard': openDeadlinePartitionOf(shard),
            ':from': sortableDeadline(after + 1),
            ':to': `${sortableDeadline(upTo)}~`,
          },
          ProjectionExpression: 'jobKeys',
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const jobKeys = (result.Items ?? []).flatMap((item) => item.jobKeys as string[]);
      return { jobKeys, ...(result.LastEvaluatedKey ? { next: result.LastEvaluatedKey } : {}) };
    },
  };
}
