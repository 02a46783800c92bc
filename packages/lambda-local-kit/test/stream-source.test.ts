import { DeleteItemCommand, DescribeTableCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, test } from 'vitest';
import { type DynamoDbStreamHandler, type StreamEventSource, type StreamEventSourceOptions, startStreamEventSource } from '../src/index.ts';
import { createTestResources, useLocalStack } from './helpers/local-stack.ts';

const { clients, endpoints } = useLocalStack();

const WITH_STREAM = { JobsTable: { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } } };

/** A fresh jobs table with a stream (through the CloudFormation pass-through), and its stream's ARN. */
async function streamTable() {
  const created = await createTestResources(WITH_STREAM);
  const tableName = created.table('JobsTable').name;
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  return { created, tableName, streamArn: Table?.LatestStreamArn as string };
}

const put = (tableName: string, recipient: string, extra: Record<string, { S: string }> = {}) =>
  clients.dynamodb.send(
    new PutItemCommand({ TableName: tableName, Item: { recipient: { S: recipient }, campaignId: { S: 'c1' }, ...extra } }),
  );

async function putAll(tableName: string, recipients: string[]): Promise<void> {
  for (const recipient of recipients) await put(tableName, recipient);
}

/** Every invocation's recipients, in order. */
function recorder() {
  const invocations: string[][] = [];
  const remember = (event: DynamoDBStreamEvent) => invocations.push(event.Records.map(recipientOf));
  return { invocations, remember, delivered: () => invocations.flat() };
}

const recipientOf = (record: DynamoDBRecord) => record.dynamodb?.Keys?.recipient?.S ?? '?';
const items = (count: number) => Array.from({ length: count }, (_, index) => `r${String(index).padStart(2, '0')}`);

function start(tableName: string, handler: DynamoDbStreamHandler, options: Partial<StreamEventSourceOptions> = {}) {
  const errors: Error[] = [];
  const source: StreamEventSource = startStreamEventSource({
    endpoint: endpoints.dynamodb,
    tableName,
    pollIntervalMs: 50,
    functionTimeoutMs: 5_000,
    onError: (error) => errors.push(error),
    handler,
    ...options,
  });
  return { source, errors };
}

describe.concurrent('local DynamoDB stream event source', () => {
  test('delivers puts, updates and deletes in order with old and new images', async ({ expect }) => {
    const { tableName, streamArn } = await streamTable();
    const records: DynamoDBRecord[] = [];
    const { source } = start(tableName, async (event) => void records.push(...event.Records));
    const key = { recipient: { S: 'a' }, campaignId: { S: 'c1' } };
    await put(tableName, 'a', { status: { S: 'queued' } });
    await clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: key,
        UpdateExpression: 'SET #s = :s, payload = :b',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'sent' }, ':b': { B: Buffer.from('hi') } },
      }),
    );
    await clients.dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
    await put(tableName, 'b');
    await expect.poll(() => records.length).toBe(4);
    await source.stop();

    expect(records.map((record) => record.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE', 'INSERT']);
    const [inserted, modified, removed] = records;
    expect(inserted).toEqual({
      eventID: expect.any(String),
      eventName: 'INSERT',
      eventVersion: expect.any(String),
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1', // the local region, though DynamoDB Local's ARNs say ddblocal
      eventSourceARN: streamArn,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: key,
        NewImage: { ...key, status: { S: 'queued' } },
        SequenceNumber: expect.stringMatching(/^\d+$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(modified?.dynamodb?.OldImage).toEqual({ ...key, status: { S: 'queued' } });
    expect(modified?.dynamodb?.NewImage).toEqual({ ...key, status: { S: 'sent' }, payload: { B: Buffer.from('hi').toString('base64') } });
    expect(removed?.dynamodb?.OldImage?.status).toEqual({ S: 'sent' });
    expect(removed?.dynamodb?.NewImage).toBeUndefined();
    const sequence = records.map((record) => BigInt(record.dynamodb?.SequenceNumber ?? 0));
    expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));
    expect(source.stats()).toMatchObject({ records: 4, errors: 0, inFlight: 0, shardsReading: 0 });
  });

  test('cuts batches at batchSize and at the payload limit', async ({ expect }) => {
    const { tableName } = await streamTable();
    await putAll(tableName, items(25));
    const bySize = recorder();
    const sized = start(tableName, async (event) => void bySize.remember(event), { batchSize: 10, maximumBatchingWindowSeconds: 0.5 });
    await expect.poll(() => bySize.delivered().length).toBe(25);
    await sized.source.stop();
    expect(bySize.invocations.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(bySize.delivered()).toEqual(items(25));

    const byBytes: number[] = [];
    const limited = start(tableName, async (event) => void byBytes.push(Buffer.byteLength(JSON.stringify(event))), {
      maxPayloadBytes: 4_000,
    });
    await expect.poll(() => limited.source.stats().records).toBe(25);
    await limited.source.stop();
    expect(byBytes.length).toBeGreaterThan(1);
    for (const bytes of byBytes) expect(bytes).toBeLessThanOrEqual(4_000);
  });

  test('a batching window gathers records written after the first one', async ({ expect }) => {
    const { tableName } = await streamTable();
    const { invocations, remember, delivered } = recorder();
    const { source } = start(tableName, async (event) => void remember(event), { maximumBatchingWindowSeconds: 3 });
    await putAll(tableName, items(5));
    await expect.poll(() => delivered().length, { timeout: 10_000 }).toBe(5);
    await source.stop();
    expect(invocations).toEqual([items(5)]);
  });

  test('a failing handler gets the same batch again, blocking the shard, and nothing is skipped', async ({ expect }) => {
    const { tableName } = await streamTable();
    await putAll(tableName, items(5));
    const { invocations, remember, delivered } = recorder();
    const { source, errors } = start(
      tableName,
      async (event) => {
        remember(event);
        if (invocations.length <= 2) throw new Error('boom');
      },
      { batchSize: 3 },
    );
    await expect.poll(() => source.stats().records).toBe(3 + 3 + 3 + 2);
    await source.stop();
    const first = items(5).slice(0, 3);
    expect(invocations).toEqual([first, first, first, items(5).slice(3)]);
    expect(new Set(delivered())).toEqual(new Set(items(5)));
    expect(errors.map((error) => error.message)).toEqual(['boom', 'boom']);
    expect(source.stats()).toMatchObject({ invocations: 4, errors: 2, retries: 2, discarded: 0 });
  });

  test('gives up a batch after maximumRetryAttempts; bisecting isolates the failing record', async ({ expect }) => {
    const { tableName } = await streamTable();
    const recipients = ['a', 'b', 'poison', 'c'];
    await putAll(tableName, recipients);
    const { invocations, remember } = recorder();
    const { source, errors } = start(
      tableName,
      async (event) => {
        remember(event);
        if (event.Records.some((record) => recipientOf(record) === 'poison')) throw new Error('poison');
      },
      { maximumRetryAttempts: 2, bisectBatchOnFunctionError: true },
    );
    await expect.poll(() => source.stats().discarded).toBe(1);
    await expect.poll(() => invocations.at(-1)).toEqual(['c']);
    await source.stop();
    expect(invocations).toEqual([recipients, ['a', 'b'], ['poison', 'c'], ['poison'], ['c']]);
    expect(errors.at(-1)?.message).toMatch(/gave up 1 record\(s\) after 2 retries/);
    expect(source.stats()).toMatchObject({ invocations: 5, retries: 4, discarded: 1 });

    const plain = recorder();
    const withoutBisect = start(
      tableName,
      async (event) => {
        plain.remember(event);
        throw new Error('always');
      },
      { maximumRetryAttempts: 1 },
    );
    await expect.poll(() => withoutBisect.source.stats().discarded).toBe(4);
    await withoutBisect.source.stop();
    expect(plain.invocations).toEqual([recipients, recipients]);
  });

  test('ReportBatchItemFailures resumes at the earliest failed record', async ({ expect }) => {
    const { tableName } = await streamTable();
    await putAll(tableName, items(5));
    const { invocations, remember } = recorder();
    const { source, errors } = start(
      tableName,
      async (event): Promise<DynamoDBBatchResponse> => {
        remember(event);
        const failed = invocations.length === 1 ? event.Records.filter((record) => ['r02', 'r04'].includes(recipientOf(record))) : [];
        return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' })) };
      },
      { functionResponseType: 'ReportBatchItemFailures' },
    );
    await expect.poll(() => invocations.length).toBe(2);
    await source.stop();
    expect(invocations).toEqual([items(5), items(5).slice(2)]);
    expect(errors).toEqual([]);
    expect(source.stats()).toMatchObject({ errors: 0, retries: 1 });
  });

  test('a batch response naming no record of the batch fails the whole batch; without the response type it is ignored', async ({
    expect,
  }) => {
    const { tableName } = await streamTable();
    await putAll(tableName, items(3));
    const bogus = async () => ({ batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] });
    const reporting = recorder();
    const checked = start(
      tableName,
      async (event) => {
        reporting.remember(event);
        return reporting.invocations.length === 1 ? bogus() : undefined;
      },
      { functionResponseType: 'ReportBatchItemFailures' },
    );
    await expect.poll(() => reporting.invocations.length).toBe(2);
    await checked.source.stop();
    expect(reporting.invocations).toEqual([items(3), items(3)]);
    expect(checked.errors[0]?.name).toBe('InvalidBatchResponseError');

    const ignoring = recorder();
    const unchecked = start(tableName, async (event) => {
      ignoring.remember(event);
      return bogus();
    });
    await expect.poll(() => ignoring.delivered().length).toBe(3);
    await unchecked.source.stop();
    expect(ignoring.invocations).toEqual([items(3)]);
    expect(unchecked.errors).toEqual([]);
  });

  test('LATEST skips what was written before the start', async ({ expect }) => {
    const { tableName } = await streamTable();
    await put(tableName, 'before');
    const { delivered, remember } = recorder();
    const { source } = start(tableName, async (event) => void remember(event), { startingPosition: 'LATEST' });
    // When the source has taken its iterator is not observable: write until a write arrives.
    let writes = 0;
    await expect
      .poll(async () => {
        await put(tableName, `after${writes++}`);
        return delivered().length;
      })
      .toBeGreaterThan(0);
    await source.stop();
    expect(delivered()).not.toContain('before');
    expect(delivered()[0]).toMatch(/^after\d+$/);
  });

  test('stop() waits for the batch in flight, then reads no more', async ({ expect }) => {
    const { tableName } = await streamTable();
    await put(tableName, 'a');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let finished = false;
    const { source } = start(tableName, async () => {
      await released;
      finished = true;
    });
    await expect.poll(() => source.stats().inFlight).toBe(1);
    let stopped = false;
    const stopping = source.stop().then(() => (stopped = true));
    await put(tableName, 'b'); // a round trip, time for a stop() that did not wait to resolve
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect(source.stats()).toMatchObject({ invocations: 1, inFlight: 0, shardsReading: 0 });
  });

  test('reports a table without a stream, and refuses bad options', async ({ expect }) => {
    const { created } = await streamTable();
    const { source, errors } = start(created.table('UsersTable').name, async () => undefined);
    await expect.poll(() => errors[0]?.message).toMatch(/has no stream/);
    await source.stop();
    expect(() => start('t', async () => undefined, { batchSize: 10_001 })).toThrow(RangeError);
    expect(() => start('t', async () => undefined, { maximumBatchingWindowSeconds: 301 })).toThrow(RangeError);
    expect(() => startStreamEventSource({ endpoint: endpoints.dynamodb, handler: async () => undefined })).toThrow(
      /streamArn or tableName/,
    );
  });
});
