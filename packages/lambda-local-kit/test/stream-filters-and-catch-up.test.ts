import { DeleteItemCommand, DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect as plainExpect, test } from 'vitest';
import {
  compileFilterPatterns,
  type DynamoDbStreamHandler,
  type StreamEventSourceOptions,
  type StreamFailureRecord,
  startStreamEventSource,
} from '../src/index.ts';
import { createTestResources, useLocalStack } from './helpers/local-stack.ts';

const { clients, endpoints } = useLocalStack();

async function streamTable(): Promise<string> {
  const created = await createTestResources({ JobsTable: { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } } });
  const tableName = created.table('JobsTable').name;
  await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  return tableName;
}

const key = (recipient: string) => ({ recipient: { S: recipient }, campaignId: { S: 'c1' } });
const put = (tableName: string, recipient: string) =>
  clients.dynamodb.send(new PutItemCommand({ TableName: tableName, Item: key(recipient) }));
const recipientOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.recipient?.S ?? '?';

function start(tableName: string, handler: DynamoDbStreamHandler, options: Partial<StreamEventSourceOptions> = {}) {
  return startStreamEventSource({
    endpoint: endpoints.dynamodb,
    tableName,
    pollIntervalMs: 50,
    functionTimeoutMs: 5_000,
    onError: () => {},
    handler,
    ...options,
  });
}

describe('filter patterns (exact values, as Lambda event filtering takes them)', () => {
  test('match any pattern, nested fields included; refuse syntax the kit does not support', () => {
    const record = { eventName: 'INSERT', dynamodb: { Keys: key('a') } } as DynamoDBRecord;
    plainExpect(compileFilterPatterns([{ eventName: ['MODIFY'] }, { dynamodb: { Keys: { recipient: { S: ['a'] } } } }])(record)).toBe(true);
    plainExpect(compileFilterPatterns([{ eventName: ['MODIFY', 'REMOVE'] }])(record)).toBe(false);
    plainExpect(compileFilterPatterns(undefined)(record)).toBe(true);
    plainExpect(() => compileFilterPatterns([{ eventName: [{ prefix: 'IN' }] }])).toThrow(/exact string or number values only/);
    plainExpect(() => compileFilterPatterns([{ eventName: [] }])).toThrow(/exact string or number values only/);
  });
});

describe.concurrent('the local stream source: filters, catching up, failures given up', () => {
  test('hands the handler only records that pass a filter, and counts the others', async ({ expect }) => {
    const tableName = await streamTable();
    const seen: string[] = [];
    const source = start(tableName, async (event) => void seen.push(...event.Records.map((r) => `${r.eventName}:${recipientOf(r)}`)), {
      filterPatterns: [{ eventName: ['INSERT', 'MODIFY'] }],
    });
    await put(tableName, 'a');
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: key('a') }));
    await put(tableName, 'b');
    await source.caughtUp();
    expect(seen).toEqual(['INSERT:a', 'INSERT:b']);
    expect(source.stats().filtered).toBe(1);
    await source.stop();
  });

  test('caughtUp() resolves only once a slow handler has seen every record written before it, and reads a table that was empty at start', async ({
    expect,
  }) => {
    const tableName = await streamTable();
    const seen: string[] = [];
    let failures = 0;
    const source = start(tableName, async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      if (failures++ < 2) throw new Error('not yet');
      seen.push(...event.Records.map(recipientOf));
    });
    for (const recipient of ['a', 'b', 'c', 'd']) await put(tableName, recipient);
    await source.caughtUp();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    await put(tableName, 'e');
    await source.caughtUp();
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    await source.stop();
    await expect(source.caughtUp()).rejects.toThrow(/stopped before it caught up/);
  });

  test('caughtUp() gives up after its timeout, naming the shard still behind', async ({ expect }) => {
    const tableName = await streamTable();
    const source = start(tableName, async () => {
      throw new Error('always failing');
    });
    await put(tableName, 'a');
    await expect(source.caughtUp({ timeoutMs: 1_500 })).rejects.toThrow(/not caught up after 1500 ms; behind: shardId-/);
    await source.stop();
  });

  test('reports a batch given up after its retries as the on-failure destination would get it', async ({ expect }) => {
    const tableName = await streamTable();
    const failures: StreamFailureRecord[] = [];
    const source = start(
      tableName,
      async () => {
        throw new Error('poison');
      },
      { maximumRetryAttempts: 1, onFailure: (record) => failures.push(record), maximumBatchingWindowSeconds: 0.3 },
    );
    await put(tableName, 'a');
    await put(tableName, 'b');
    await source.caughtUp();
    expect(failures).toHaveLength(1);
    const info = failures[0]!.DDBStreamBatchInfo;
    expect(failures[0]!.requestContext).toMatchObject({ condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
    expect(info).toMatchObject({ batchSize: 2, shardId: expect.stringMatching(/^shardId-/) });
    expect(BigInt(info.endSequenceNumber) > BigInt(info.startSequenceNumber)).toBe(true);
    expect(info.streamArn).toContain(tableName);
    await source.stop();
  });
});
