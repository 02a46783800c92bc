import type { _Record, DynamoDBStreamsClient, Shard } from '@aws-sdk/client-dynamodb-streams';
import { describe, test } from 'vitest';
import { startStreamEventSource } from '../src/index.ts';

const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/jobs/stream/2026-01-01T00:00:00.000';

const record = (shardId: string, sequence: number): _Record => ({
  eventID: `${shardId}-${sequence}`,
  eventName: 'INSERT',
  dynamodb: { Keys: { id: { S: `${shardId}-${sequence}` } }, SequenceNumber: String(sequence), SizeBytes: 10, StreamViewType: 'KEYS_ONLY' },
});

/**
 * DynamoDB Local never splits a stream's shard on demand, so shard lineage is played by a stand-in
 * for the Streams API: a closed parent with three records, read one per call, and its open child,
 * listed first, with one record.
 */
function splitStream(): DynamoDBStreamsClient {
  const shards: Shard[] = [
    { ShardId: 'child', ParentShardId: 'parent', SequenceNumberRange: { StartingSequenceNumber: '10' } },
    { ShardId: 'parent', SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '3' } },
  ];
  const contents: Record<string, _Record[]> = {
    parent: [1, 2, 3].map((sequence) => record('parent', sequence)),
    child: [record('child', 10)],
  };
  const send = async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    const { input } = command;
    switch (command.constructor.name) {
      case 'DescribeStreamCommand':
        return { StreamDescription: { Shards: shards } };
      case 'GetShardIteratorCommand':
        return { ShardIterator: `${input.ShardId}:0` };
      case 'GetRecordsCommand': {
        const [shardId = '', position] = String(input.ShardIterator).split(':');
        const start = Number(position);
        const records = (contents[shardId] ?? []).slice(start, start + Number(input.Limit));
        const next = start + records.length;
        const closedAndRead = shardId === 'parent' && next >= (contents.parent?.length ?? 0);
        return { Records: records, NextShardIterator: closedAndRead ? undefined : `${shardId}:${next}` };
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  };
  return { send } as unknown as DynamoDBStreamsClient;
}

describe('stream shards', () => {
  test('a child shard is read only after its parent has been read to its end', async ({ expect }) => {
    const delivered: string[] = [];
    const source = startStreamEventSource({
      client: splitStream(),
      streamArn: STREAM_ARN,
      batchSize: 1,
      pollIntervalMs: 10,
      handler: async (event) => void delivered.push(...event.Records.map((entry) => entry.eventID ?? '')),
    });
    await expect.poll(() => delivered).toHaveLength(4);
    await source.stop();
    expect(delivered).toEqual(['parent-1', 'parent-2', 'parent-3', 'child-10']);
    expect(source.stats()).toMatchObject({ invocations: 4, errors: 0, pollErrors: 0 });
  });
});
