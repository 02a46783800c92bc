/**
 * Loaded into the target's worker process with `node --import …/worker-instrument.ts <worker>`
 * by the benchmark (never by the service). It wraps `send` of the SDK clients the worker's
 * functions and event sources use, and the function URL's HTTP server, to record what the
 * worker's own RequestCounter cannot tell:
 * - which queue or table each request went to, and so which path (send or status) it belongs to;
 * - DynamoDB's consumed capacity (it asks for `ReturnConsumedCapacity: INDEXES`, which DynamoDB
 *   Local computes from item sizes and GSI changes, as DynamoDB does), and refused conditional writes;
 * - empty receives, SDK latencies, and each webhook invocation's wall time (request → response).
 *   The SQS-triggered functions' invocations and handler time come from the event sources'
 *   own counters, which the worker prints when it stops (a batch may span several receives).
 * The target's attribution rules come in BENCH_ATTRIBUTION (JSON), its resource prefix in
 * BENCH_RESOURCE_PREFIX. On exit it writes everything to the JSON file named by BENCH_INSTRUMENT_FILE.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AttributionRules,
  bucketKey,
  emptyBucket,
  type InstrumentReport,
  operationOf,
  type Path,
  pathOfRequest,
  pathOfStack,
  type RequestBucket,
  resourceOf,
  sqsBillableRequests,
  sqsPayloadBytes,
} from './attribution.ts';

const outputFile = process.env.BENCH_INSTRUMENT_FILE;
const prefix = process.env.BENCH_RESOURCE_PREFIX ?? '';
const rules = JSON.parse(process.env.BENCH_ATTRIBUTION ?? '{"requests":[],"stackMarkers":[]}') as AttributionRules;
const SAMPLE_CAP = 4_000;
const CAPACITY_OPERATIONS = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

const startedAt = Date.now();
const buckets = new Map<string, RequestBucket>();
const byCommand = new Map<string, number>();
const latencySamples = new Map<string, { seen: number; samples: number[] }>();
const invocations = new Map<string, { count: number; totalMs: number; sampled: { seen: number; samples: number[] } }>();

function sample(store: { seen: number; samples: number[] }, value: number): void {
  store.seen += 1;
  if (store.samples.length < SAMPLE_CAP) store.samples.push(value);
  else {
    const slot = Math.floor(Math.random() * store.seen);
    if (slot < SAMPLE_CAP) store.samples[slot] = value;
  }
}

function recordInvocation(fn: string, ms: number): void {
  let entry = invocations.get(fn);
  if (!entry) {
    entry = { count: 0, totalMs: 0, sampled: { seen: 0, samples: [] } };
    invocations.set(fn, entry);
  }
  entry.count += 1;
  entry.totalMs += ms;
  sample(entry.sampled, ms);
}

function callerPath(): Path {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder);
  Error.stackTraceLimit = limit;
  return pathOfStack(holder.stack ?? '', rules);
}

function capacityOf(consumed: unknown): { table: number; index: number } {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  let table = 0;
  let index = 0;
  for (const entry of list as Array<{
    CapacityUnits?: number;
    Table?: { CapacityUnits?: number };
    GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
    LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  }>) {
    const indexes = [...Object.values(entry.GlobalSecondaryIndexes ?? {}), ...Object.values(entry.LocalSecondaryIndexes ?? {})].reduce(
      (sum, i) => sum + (i.CapacityUnits ?? 0),
      0,
    );
    const tableUnits = entry.Table?.CapacityUnits ?? Math.max(0, (entry.CapacityUnits ?? 0) - indexes);
    table += tableUnits;
    index += indexes;
  }
  return { table, index };
}

function itemCount(operation: string, input: Record<string, unknown>): number {
  const requestItems = input.RequestItems as Record<string, { Keys?: unknown[] } | unknown[]> | undefined;
  if (operation === 'BatchGetItem' && requestItems)
    return Object.values(requestItems).reduce<number>((sum, v) => sum + ((v as { Keys?: unknown[] }).Keys?.length ?? 0), 0);
  if (operation === 'BatchWriteItem' && requestItems)
    return Object.values(requestItems).reduce<number>((sum, v) => sum + (Array.isArray(v) ? v.length : 0), 0);
  if (operation.startsWith('Transact')) return (input.TransactItems as unknown[] | undefined)?.length ?? 0;
  return 1;
}

type Sendable = { prototype: { send: (...args: unknown[]) => unknown } };

function instrument(client: Sendable, service: 'sqs' | 'dynamodb' | 'ssm'): void {
  const original = client.prototype.send;
  Object.defineProperty(client.prototype, 'send', {
    configurable: true,
    writable: true,
    value: function instrumentedSend(
      this: unknown,
      command: { constructor: { name: string }; input?: Record<string, unknown> },
      ...rest: unknown[]
    ) {
      if (rest.some((arg) => typeof arg === 'function')) return original.call(this, command, ...rest);
      const commandName = command?.constructor?.name ?? 'UnknownCommand';
      byCommand.set(`${service}.${commandName}`, (byCommand.get(`${service}.${commandName}`) ?? 0) + 1);
      const input = command?.input ?? {};
      const operation = operationOf(commandName);
      if (service === 'dynamodb' && CAPACITY_OPERATIONS.has(operation) && input.ReturnConsumedCapacity === undefined)
        input.ReturnConsumedCapacity = 'INDEXES';
      const resource = resourceOf(service, input, prefix);
      const path = pathOfRequest({ service, operation, resource, input }, rules) ?? callerPath();
      const key = bucketKey(service, operation, resource, path);
      let bucket = buckets.get(key);
      if (!bucket) {
        bucket = emptyBucket(service, operation, resource, path);
        buckets.set(key, bucket);
      }
      bucket.requests += 1;
      bucket.items += service === 'dynamodb' ? itemCount(operation, input) : 0;
      if (service === 'sqs' && (operation === 'SendMessage' || operation === 'SendMessageBatch'))
        bucket.billable += sqsBillableRequests(sqsPayloadBytes(input));
      else if (service === 'sqs' && operation !== 'ReceiveMessage') bucket.billable += 1;
      const started = performance.now();
      const b = bucket;
      const latencyKey = `${service}.${operation}|${resource}`;
      const finish = () => {
        const ms = performance.now() - started;
        b.latencyMsTotal += ms;
        let store = latencySamples.get(latencyKey);
        if (!store) {
          store = { seen: 0, samples: [] };
          latencySamples.set(latencyKey, store);
        }
        sample(store, Math.round(ms * 100) / 100);
      };
      return (original.call(this, command, ...rest) as Promise<Record<string, unknown>>).then(
        (result) => {
          finish();
          if (service === 'dynamodb') {
            const { table, index } = capacityOf(result?.ConsumedCapacity);
            b.tableCapacity += table;
            b.indexCapacity += index;
          }
          if (service === 'sqs' && operation === 'ReceiveMessage') {
            const messages = (result?.Messages as Array<{ Body?: string }> | undefined) ?? [];
            b.messages += messages.length;
            if (messages.length === 0) {
              b.emptyReceives += 1;
              b.billable += 1;
            } else {
              b.billable += sqsBillableRequests(messages.reduce((sum, m) => sum + Buffer.byteLength(m.Body ?? ''), 0));
            }
          }
          return result;
        },
        (error: unknown) => {
          finish();
          b.errors += 1;
          if ((error as { name?: string })?.name === 'ConditionalCheckFailedException') b.conditionalFailures += 1;
          throw error;
        },
      );
    },
  });
}

instrument(SQSClient as unknown as Sendable, 'sqs');
instrument(DynamoDBClient as unknown as Sendable, 'dynamodb');
instrument(DynamoDBDocumentClient as unknown as Sendable, 'dynamodb');
instrument(SSMClient as unknown as Sendable, 'ssm');

// The function URL is the worker's only HTTP server: time each webhook request to its response.
const originalEmit = http.Server.prototype.emit;
http.Server.prototype.emit = function emit(this: http.Server, event: string | symbol, ...args: unknown[]) {
  if (event === 'request') {
    const response = args[1] as http.ServerResponse;
    const started = performance.now();
    response.once('finish', () => recordInvocation('webhook', performance.now() - started));
  }
  return (originalEmit as (this: http.Server, event: string | symbol, ...rest: unknown[]) => boolean).call(this, event, ...args);
} as typeof http.Server.prototype.emit;

process.on('exit', () => {
  if (!outputFile) return;
  const report: InstrumentReport = {
    version: 1,
    pid: process.pid,
    startedAt,
    writtenAt: Date.now(),
    buckets: [...buckets.values()],
    byCommand: Object.fromEntries([...byCommand].sort(([a], [b]) => a.localeCompare(b))),
    invocations: Object.fromEntries(
      [...invocations].map(([fn, v]) => [
        fn,
        { count: v.count, totalMs: Math.round(v.totalMs), samplesMs: v.sampled.samples.map((ms) => Math.round(ms * 10) / 10) },
      ]),
    ),
    latencySamples: Object.fromEntries([...latencySamples].map(([k, v]) => [k, v.samples])),
  };
  writeFileSync(outputFile, JSON.stringify(report));
});
