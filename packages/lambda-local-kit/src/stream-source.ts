import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, type Shard, type ShardIteratorType } from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';
import { LAMBDA_PAYLOAD_LIMIT_BYTES } from './poller.ts';
import {
  type BatchDeliveryContext,
  backoffMs,
  type DynamoDbStreamHandler,
  deliverBatch,
  type StreamTally,
} from './stream-batch-delivery.ts';
import { compileFilterPatterns, type StreamFilterPattern } from './stream-filter.ts';
import { type BatchingSettings, ShardReader } from './stream-shard-reader.ts';

export type { DynamoDbStreamHandler } from './stream-batch-delivery.ts';

/** Options for {@link startStreamEventSource}. Give `streamArn`, or `tableName` to read the table's latest stream. */
export interface StreamEventSourceOptions {
  /** DynamoDB Local's endpoint: clients are built for it (and closed on stop) unless given. */
  endpoint?: string;
  client?: DynamoDBStreamsClient;
  /** Looks up `tableName`'s stream. */
  dynamodb?: DynamoDBClient;
  tableName?: string;
  streamArn?: string;
  handler: DynamoDbStreamHandler;
  /** Default: `local-<table name>-stream`. */
  functionName?: string;
  /** Records per invocation at most, 1 to 10,000 (default 100, as on AWS). */
  batchSize?: number;
  /** Seconds to keep reading a shard after a batch's first record before invoking (default 0, at most 300; tests may pass fractions). */
  maximumBatchingWindowSeconds?: number;
  /** Shards open when the source starts are read from their oldest record or from now on (default TRIM_HORIZON); shards that appear later are read from their start. */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Retries of a failed batch before its records are given up (default -1: until it succeeds, as on AWS). */
  maximumRetryAttempts?: number;
  /** Split a failed batch in two and retry the halves apart (default false). */
  bisectBatchOnFunctionError?: boolean;
  /** Honour `batchItemFailures`: resume at the earliest reported sequence number. Without it the response is ignored. */
  functionResponseType?: 'ReportBatchItemFailures';
  /** Pause between GetRecords calls on a shard with nothing new (default 250 ms: AWS polls each shard four times a second). */
  pollIntervalMs?: number;
  /** The function timeout (default 30 000 ms): a longer invocation counts as failed. */
  functionTimeoutMs?: number;
  /** Stop gathering before a batch's records would exceed this many bytes of event (default 6 MB). */
  maxPayloadBytes?: number;
  /** Lambda's event filtering (exact values only, see `compileFilterPatterns`): records no pattern matches never reach the handler. */
  filterPatterns?: readonly StreamFilterPattern[];
  /** Called with AWS's on-failure invocation record when a batch's records are given up (an on-failure destination). */
  onFailure?: (record: StreamFailureRecord) => void;
  /** Called before each invocation. */
  onInvoke?: (event: DynamoDBStreamEvent, context: Context) => void;
  /** Called for a failed invocation (`event` set), for records given up, and for stream read errors. Default: log to stderr. */
  onError?: (error: Error, event?: DynamoDBStreamEvent) => void;
}

/** Counters since start, and the shards being read now. */
export interface StreamEventSourceStats extends StreamTally {
  shardsReading: number;
  /** Records that matched no filter pattern. */
  filtered: number;
}

/**
 * What Lambda sends to a stream event source's on-failure destination when it gives a batch up:
 * where the records were, not the records.
 */
export interface StreamFailureRecord {
  requestContext: { functionArn: string; condition: 'RetryAttemptsExhausted'; approximateInvokeCount: number };
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

/** A running local DynamoDB stream event source mapping. */
export interface StreamEventSource {
  /** Stops reading; resolves once the invocations running now have finished (failed batches are not retried after stop). */
  stop(): Promise<void>;
  stats(): StreamEventSourceStats;
  /**
   * Resolves once every record written before the call has been handled (or filtered, or given
   * up): a shard discovery and, on every shard being read, a read that started after the call
   * found nothing new, with no batch pending. Rejects after `timeoutMs` (default 30 s), naming
   * the shards still behind, or when the source stops.
   */
  caughtUp(options?: { timeoutMs?: number }): Promise<void>;
}

const SHARD_DISCOVERY_INTERVAL_MS = 1_000;

interface ShardState {
  shard: Shard;
  status: 'waiting' | 'reading' | 'done';
  /** When the last read that found nothing new started (ms). */
  idleSince?: number;
}

/**
 * Runs a handler the way Lambda's event source mapping for DynamoDB Streams does, against DynamoDB
 * Local: one reader per shard (a child shard only once its parent has been read to its end), each
 * gathering a batch from GetRecords (up to `batchSize`, the batching window or the payload limit)
 * and invoking the handler with a real `DynamoDBStreamEvent`, in stream order. A failed batch
 * blocks its shard and is retried (with backoff) until it succeeds or `maximumRetryAttempts` is
 * spent; then its records are given up, reported through `onError`. With `ReportBatchItemFailures`
 * the retry starts at the earliest reported record.
 *
 * Unlike AWS, checkpoints live in memory: a new source starts from `startingPosition` again.
 *
 * @example
 * const source = startStreamEventSource({ endpoint, tableName, handler, startingPosition: 'LATEST' });
 * await source.stop();
 */
export function startStreamEventSource(options: StreamEventSourceOptions): StreamEventSource {
  const batching: BatchingSettings = {
    batchSize: options.batchSize ?? 100,
    batchingWindowMs: (options.maximumBatchingWindowSeconds ?? 0) * 1000,
    pollIntervalMs: options.pollIntervalMs ?? 250,
    maxPayloadBytes: options.maxPayloadBytes ?? LAMBDA_PAYLOAD_LIMIT_BYTES,
  };
  const maximumRetryAttempts = options.maximumRetryAttempts ?? -1;
  validate(options, { ...batching, maximumRetryAttempts });

  const owned = ownedClients(options);
  const streams = options.client ?? owned.streams();
  const functionName = options.functionName ?? `local-${options.tableName ?? tableNameOf(options.streamArn ?? '')}-stream`;
  const onError = options.onError ?? ((error: Error) => console.error(`[${functionName}]`, error));
  const tally: StreamTally = { invocations: 0, records: 0, errors: 0, retries: 0, discarded: 0, pollErrors: 0, handlerMs: 0, inFlight: 0 };
  const shards = new Map<string, ShardState>();
  const passesFilters = compileFilterPatterns(options.filterPatterns);
  let filtered = 0;
  let lastDiscoveryStartedAt = 0;
  const readers = new Set<Promise<void>>();
  const stopping = new AbortController();
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);
  const delivery: BatchDeliveryContext = {
    handler: options.handler,
    functionName,
    functionTimeoutMs: options.functionTimeoutMs ?? 30_000,
    reportBatchItemFailures: options.functionResponseType === 'ReportBatchItemFailures',
    maximumRetryAttempts,
    bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? false,
    retryBaseMs: batching.pollIntervalMs,
    tally,
    signal: stopping.signal,
    pause,
    ...(options.onInvoke ? { onInvoke: options.onInvoke } : {}),
    onError,
  };
  let stopped: Promise<void> | undefined;

  async function resolveStreamArn(): Promise<string> {
    if (options.streamArn) return options.streamArn;
    const dynamodb = options.dynamodb ?? owned.dynamodb();
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`${options.tableName} has no stream: give it a StreamSpecification`);
    return Table.LatestStreamArn;
  }

  async function describeShards(streamArn: string): Promise<Shard[]> {
    const found: Shard[] = [];
    let ExclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId }), {
        abortSignal: stopping.signal,
      });
      found.push(...(StreamDescription?.Shards ?? []));
      ExclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (ExclusiveStartShardId);
    return found;
  }

  /** Learns new shards and starts every shard whose parent is done or gone (trimmed). */
  function startReadyShards(streamArn: string, described: Shard[], first: boolean): void {
    for (const shard of described) {
      if (!shard.ShardId || shards.has(shard.ShardId)) continue;
      // LATEST skips what is already written, so shards closed before the start have nothing to give.
      const skipped = first && options.startingPosition === 'LATEST' && shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      shards.set(shard.ShardId, { shard, status: skipped ? 'done' : 'waiting' });
    }
    for (const state of shards.values()) {
      const parent = state.shard.ParentShardId ? shards.get(state.shard.ParentShardId) : undefined;
      if (state.status !== 'waiting' || (parent && parent.status !== 'done')) continue;
      state.status = 'reading';
      const openAtStart = first && state.shard.SequenceNumberRange?.EndingSequenceNumber === undefined;
      const iteratorType: ShardIteratorType = openAtStart && options.startingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON';
      const reader = readShard(streamArn, state, iteratorType).finally(() => {
        readers.delete(reader);
        state.status = 'done';
        if (!stopping.signal.aborted) startReadyShards(streamArn, [], false);
      });
      readers.add(reader);
    }
  }

  async function discoverShards(): Promise<void> {
    let streamArn: string | undefined;
    let failures = 0;
    let first = true;
    while (!stopping.signal.aborted) {
      try {
        streamArn ??= await resolveStreamArn();
        const discoveryStartedAt = Date.now();
        const described = await describeShards(streamArn);
        startReadyShards(streamArn, described, first);
        lastDiscoveryStartedAt = discoveryStartedAt;
        first = false;
        failures = 0;
        await pause(SHARD_DISCOVERY_INTERVAL_MS);
      } catch (error) {
        if (stopping.signal.aborted) return;
        reportPollError(error);
        failures += 1;
        await pause(backoffMs(failures));
      }
    }
  }

  function reportPollError(error: unknown): void {
    tally.pollErrors += 1;
    onError(asError(error));
  }

  async function readShard(streamArn: string, state: ShardState, iteratorType: ShardIteratorType): Promise<void> {
    const reader = new ShardReader({
      streams,
      streamArn,
      region: regionOf(streamArn),
      shardId: state.shard.ShardId as string,
      iteratorType,
      batching,
      signal: stopping.signal,
      pause,
      reportPollError,
    });
    let failures = 0;
    const shardDelivery = { ...delivery, onGiveUp: giveUpReporter(streamArn, state.shard.ShardId as string) };
    while (!stopping.signal.aborted) {
      let batch: Awaited<ReturnType<ShardReader['gather']>>;
      const gatherStartedAt = Date.now();
      try {
        batch = await reader.gather();
        failures = 0;
      } catch (error) {
        if (stopping.signal.aborted) return;
        reportPollError(error);
        failures += 1;
        await pause(backoffMs(failures));
        continue;
      }
      const passing = batch.filter(passesFilters);
      filtered += batch.length - passing.length;
      if (passing.length > 0) await deliverBatch(passing, shardDelivery);
      else if (batch.length > 0) continue;
      else if (reader.ended) return;
      else {
        state.idleSince = gatherStartedAt;
        await pause(batching.pollIntervalMs);
      }
    }
  }

  /** The on-failure destination's record for records of this shard given up. */
  function giveUpReporter(streamArn: string, shardId: string) {
    if (!options.onFailure) return undefined;
    const report = options.onFailure;
    return (records: DynamoDBRecord[], invokeCount: number) => {
      const arrival = (record: DynamoDBRecord | undefined) =>
        new Date((record?.dynamodb?.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000).toISOString();
      report({
        requestContext: {
          functionArn: `arn:aws:lambda:${regionOf(streamArn)}:000000000000:function:${functionName}`,
          condition: 'RetryAttemptsExhausted',
          approximateInvokeCount: invokeCount,
        },
        timestamp: new Date().toISOString(),
        DDBStreamBatchInfo: {
          shardId,
          startSequenceNumber: records[0]?.dynamodb?.SequenceNumber ?? '',
          endSequenceNumber: records.at(-1)?.dynamodb?.SequenceNumber ?? '',
          approximateArrivalOfFirstRecord: arrival(records[0]),
          approximateArrivalOfLastRecord: arrival(records.at(-1)),
          batchSize: records.length,
          streamArn,
        },
      });
    };
  }

  /** Shards that may still hold records written before `since`, by id; empty once caught up. */
  function behindSince(since: number): string[] {
    if (lastDiscoveryStartedAt < since) return ['(shard discovery)'];
    return [...shards.values()]
      .filter((state) => state.status === 'waiting' || (state.status === 'reading' && (state.idleSince ?? 0) < since))
      .map((state) => state.shard.ShardId as string);
  }

  async function caughtUp({ timeoutMs = 30_000 } = {}): Promise<void> {
    const since = Date.now();
    const deadline = since + timeoutMs;
    for (;;) {
      if (stopping.signal.aborted) throw new Error(`${functionName}: the stream source stopped before it caught up`);
      const behind = behindSince(since);
      if (behind.length === 0 && tally.inFlight === 0) return;
      if (Date.now() > deadline)
        throw new Error(`${functionName}: not caught up after ${timeoutMs} ms; behind: ${behind.join(', ') || 'a batch in flight'}`);
      await sleep(25);
    }
  }

  const discovery = discoverShards();

  return {
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await discovery;
        while (readers.size > 0) await Promise.all(readers);
        owned.destroy();
      })();
      return stopped;
    },
    stats: () => ({
      ...tally,
      filtered,
      shardsReading: [...shards.values()].filter((state) => state.status === 'reading').length,
    }),
    caughtUp,
  };
}

/** Clients built from `endpoint` when none was given, closed on stop. */
function ownedClients(options: StreamEventSourceOptions) {
  const built: { destroy(): void }[] = [];
  const config = () => {
    if (!options.endpoint) throw new Error('startStreamEventSource needs an endpoint or clients');
    return { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: options.endpoint };
  };
  const remember = <T extends { destroy(): void }>(client: T) => {
    built.push(client);
    return client;
  };
  return {
    streams: () => remember(new DynamoDBStreamsClient(config())),
    dynamodb: () => remember(new DynamoDBClient(config())),
    destroy: () => {
      for (const client of built) client.destroy();
    },
  };
}

function validate(options: StreamEventSourceOptions, values: BatchingSettings & { maximumRetryAttempts: number }): void {
  const { batchSize, batchingWindowMs, maximumRetryAttempts, pollIntervalMs } = values;
  if (!options.streamArn === !options.tableName) throw new Error('startStreamEventSource needs either streamArn or tableName');
  if (!options.client && !options.endpoint) throw new Error('startStreamEventSource needs an endpoint or a client');
  if (options.tableName && !options.dynamodb && !options.endpoint) throw new Error('tableName needs an endpoint or a dynamodb client');
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new RangeError(`batchSize must be 1 to 10000, got ${batchSize}`);
  if (!(batchingWindowMs >= 0 && batchingWindowMs <= 300_000))
    throw new RangeError(`maximumBatchingWindowSeconds must be 0 to 300, got ${options.maximumBatchingWindowSeconds}`);
  if (!Number.isInteger(maximumRetryAttempts) || maximumRetryAttempts < -1 || maximumRetryAttempts > 10_000)
    throw new RangeError(`maximumRetryAttempts must be -1 to 10000, got ${maximumRetryAttempts}`);
  if (!(pollIntervalMs > 0)) throw new RangeError(`pollIntervalMs must be positive, got ${pollIntervalMs}`);
}

/**
 * The region of `arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL`. DynamoDB Local writes
 * `ddblocal` there whatever the client's region: the event says the local region instead, the one
 * the function's clients and Context use.
 */
function regionOf(streamArn: string): string {
  const region = streamArn.split(':')[3];
  return !region || region === 'ddblocal' ? LOCAL_REGION : region;
}

function tableNameOf(streamArn: string): string {
  return streamArn.split(':table/')[1]?.split('/')[0] ?? 'table';
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
