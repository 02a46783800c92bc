import {
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import { toDynamoDbStreamRecord } from './dynamodb-stream-event.ts';

/** GetRecords returns at most 1,000 records. */
const MAX_RECORDS_PER_GET = 1_000;
/** `{"Records":[]}` around the records. */
const EVENT_ENVELOPE_BYTES = 14;

/** How a shard's records are gathered into batches, as the event source mapping's settings say. */
export interface BatchingSettings {
  batchSize: number;
  batchingWindowMs: number;
  pollIntervalMs: number;
  maxPayloadBytes: number;
}

export interface ShardReaderContext {
  streams: DynamoDBStreamsClient;
  streamArn: string;
  /** The region the events name. */
  region: string;
  shardId: string;
  /** Where reading starts when no record has been read yet. */
  iteratorType: ShardIteratorType;
  batching: BatchingSettings;
  signal: AbortSignal;
  /** Waits, or returns early once the source stops. */
  pause(ms: number): Promise<void>;
  /** A read error that does not stop the batch gathered so far. */
  reportPollError(error: unknown): void;
}

/**
 * Reads one shard in order and cuts its records into batches: up to `batchSize`, within the
 * batching window after a batch's first record, and under the payload limit. Records read past a
 * cut wait for the next batch, so the shard's order holds.
 */
export class ShardReader {
  /** The shard is closed and read to its end. */
  ended = false;
  private iterator: string | undefined;
  private lastSequenceNumber: string | undefined;
  private readonly pending: DynamoDBRecord[] = [];
  private readonly context: ShardReaderContext;

  constructor(context: ShardReaderContext) {
    this.context = context;
  }

  /** The next batch: empty when the shard has nothing new (or the source stops before a record came). */
  async gather(): Promise<DynamoDBRecord[]> {
    const { batching, signal } = this.context;
    const batch: DynamoDBRecord[] = [];
    const size = { bytes: EVENT_ENVELOPE_BYTES };
    let deadline: number | undefined;
    let shortRead = false;
    for (;;) {
      if (this.take(batch, size) || this.ended || signal.aborted) return batch;
      if (batch.length > 0) {
        deadline ??= Date.now() + batching.batchingWindowMs;
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) return batch;
        if (shortRead) await this.context.pause(Math.min(batching.pollIntervalMs, remainingMs));
      }
      const asked = Math.min(MAX_RECORDS_PER_GET, batching.batchSize - batch.length);
      let fetched: number;
      try {
        fetched = await this.fetch(asked);
      } catch (error) {
        if (batch.length === 0) throw error;
        if (!signal.aborted) this.context.reportPollError(error);
        return batch; // invoke with what has been gathered
      }
      if (fetched === 0 && batch.length === 0) return batch;
      shortRead = fetched < asked;
    }
  }

  /** Moves pending records into the batch while they fit; true once the batch is full. */
  private take(batch: DynamoDBRecord[], size: { bytes: number }): boolean {
    const { batchSize, maxPayloadBytes } = this.context.batching;
    while (this.pending.length > 0 && batch.length < batchSize) {
      const bytes = Buffer.byteLength(JSON.stringify(this.pending[0])) + 1;
      // A record larger than the limit on its own still goes, alone (DynamoDB's 400 KB item cap keeps it from happening).
      if (batch.length > 0 && size.bytes + bytes > maxPayloadBytes) return true;
      batch.push(this.pending.shift() as DynamoDBRecord);
      size.bytes += bytes;
    }
    return batch.length >= batchSize;
  }

  /** One GetRecords call: appends to the pending records, returns how many came. */
  private async fetch(limit: number): Promise<number> {
    if (!this.iterator) await this.openIterator();
    if (this.ended || !this.iterator) return 0;
    const { streams, streamArn, region, signal } = this.context;
    try {
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }),
        {
          abortSignal: signal,
        },
      );
      this.iterator = NextShardIterator;
      // A closed shard read to its end hands out no next iterator.
      if (!this.iterator) this.ended = true;
      for (const record of Records) this.pending.push(toDynamoDbStreamRecord(record, streamArn, region));
      this.lastSequenceNumber = Records.at(-1)?.dynamodb?.SequenceNumber ?? this.lastSequenceNumber;
      return Records.length;
    } catch (error) {
      // Iterators expire after 15 minutes: the next call opens one after the last record read.
      // DynamoDB Local also refuses a TRIM_HORIZON iterator taken while its shard was empty as
      // "trimmed" once records arrive: a new one, taken now, reads them from the start.
      if (error instanceof Error && (error.name === 'ExpiredIteratorException' || error.name === 'TrimmedDataAccessException'))
        this.iterator = undefined;
      throw error;
    }
  }

  private async openIterator(): Promise<void> {
    const { streams, streamArn, shardId, iteratorType, signal } = this.context;
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ...(this.lastSequenceNumber
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: this.lastSequenceNumber }
          : { ShardIteratorType: iteratorType }),
      }),
      { abortSignal: signal },
    );
    this.iterator = ShardIterator;
    if (!this.iterator) this.ended = true;
  }
}
