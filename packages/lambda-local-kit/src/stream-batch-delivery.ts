import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { streamResumeIndex } from './dynamodb-stream-event.ts';
import { createLambdaContext } from './lambda-context.ts';
import { InvalidBatchResponseError, withTimeout } from './poller.ts';

/** A Lambda handler for DynamoDB stream events (returning a `DynamoDBBatchResponse` when it reports partial failures). */
// biome-ignore lint/suspicious/noConfusingVoidType: as in Lambda's own types, a handler that reports no failure may return nothing.
export type DynamoDbStreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

/** What the event source counts since start; the delivery adds to it. */
export interface StreamTally {
  /** Handler invocations, retries included. */
  invocations: number;
  /** Records passed to the handler, retries included. */
  records: number;
  /** Invocations that threw, timed out or returned an invalid batch response. */
  errors: number;
  /** Invocations that repeated records of a failed one (whole batch, bisected half or from a reported failure on). */
  retries: number;
  /** Records given up after `maximumRetryAttempts`. */
  discarded: number;
  /** DescribeStream / GetShardIterator / GetRecords errors. */
  pollErrors: number;
  /** Wall time of all handler runs, ms. */
  handlerMs: number;
  /** Invocations running now (at most one per shard). */
  inFlight: number;
}

export interface BatchDeliveryContext {
  handler: DynamoDbStreamHandler;
  functionName: string;
  functionTimeoutMs: number;
  reportBatchItemFailures: boolean;
  /** -1: until the batch succeeds. */
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  /** The first retry's wait; each later one doubles it (at most 5 s). */
  retryBaseMs: number;
  tally: StreamTally;
  signal: AbortSignal;
  pause(ms: number): Promise<void>;
  onInvoke?: (event: DynamoDBStreamEvent, context: Context) => void;
  onError(error: Error, event?: DynamoDBStreamEvent): void;
  /** Records given up after their retries, with how often they were invoked (an on-failure destination). */
  onGiveUp?: (records: DynamoDBRecord[], invokeCount: number) => void;
}

interface Chunk {
  records: DynamoDBRecord[];
  retries: number;
}

/** The batch response named no failure: the records were handled. */
const SUCCEEDED = undefined;
const MAX_BACKOFF_MS = 5_000;

/**
 * Invokes the handler with a shard's batch until every record succeeded or was given up; the
 * shard waits meanwhile, as on AWS. A failed batch is retried with backoff, from the earliest
 * reported failure (ReportBatchItemFailures) or whole, bisected when asked.
 */
export async function deliverBatch(batch: DynamoDBRecord[], context: BatchDeliveryContext): Promise<void> {
  const { tally, maximumRetryAttempts } = context;
  const chunks: Chunk[] = [{ records: batch, retries: 0 }];
  while (chunks.length > 0 && !context.signal.aborted) {
    const chunk = chunks[0] as Chunk;
    if (chunk.retries > 0) tally.retries += 1;
    const resumeAt = await invoke(chunk.records, context);
    if (resumeAt === SUCCEEDED) {
      chunks.shift();
      continue;
    }
    const failed = { records: chunk.records.slice(resumeAt), retries: chunk.retries };
    if (maximumRetryAttempts >= 0 && failed.retries >= maximumRetryAttempts) {
      chunks.shift();
      tally.discarded += failed.records.length;
      context.onGiveUp?.(failed.records, failed.retries + 1);
      context.onError(new Error(`${context.functionName}: gave up ${failed.records.length} record(s) after ${failed.retries} retries`), {
        Records: failed.records,
      });
      continue;
    }
    failed.retries += 1;
    const halves = context.bisectBatchOnFunctionError && resumeAt === 0 && failed.records.length > 1 ? bisect(failed) : [failed];
    chunks.splice(0, 1, ...halves);
    await context.pause(backoffMs(failed.retries, context.retryBaseMs));
  }
}

/** One invocation: where to resume (0: the whole batch failed), or SUCCEEDED. */
async function invoke(records: DynamoDBRecord[], context: BatchDeliveryContext): Promise<number | undefined> {
  const { tally, functionName, functionTimeoutMs } = context;
  const event: DynamoDBStreamEvent = { Records: records };
  const lambdaContext = createLambdaContext({ functionName, timeoutMs: functionTimeoutMs });
  tally.invocations += 1;
  tally.records += records.length;
  tally.inFlight += 1;
  const started = performance.now();
  try {
    context.onInvoke?.(event, lambdaContext);
    const response = await withTimeout(() => context.handler(event, lambdaContext), functionTimeoutMs, functionName);
    if (!context.reportBatchItemFailures) return SUCCEEDED;
    const outcome = streamResumeIndex(
      response,
      records.map((record) => record.dynamodb?.SequenceNumber ?? ''),
    );
    if (outcome.invalidResponse) {
      tally.errors += 1;
      context.onError(new InvalidBatchResponseError(`${functionName}: ${outcome.invalidResponse}; the whole batch failed`), event);
    }
    return outcome.resumeAt;
  } catch (error) {
    tally.errors += 1;
    context.onError(error instanceof Error ? error : new Error(String(error)), event);
    return 0;
  } finally {
    tally.handlerMs += performance.now() - started;
    tally.inFlight -= 1;
  }
}

function bisect(chunk: Chunk): Chunk[] {
  const middle = Math.ceil(chunk.records.length / 2);
  return [
    { records: chunk.records.slice(0, middle), retries: chunk.retries },
    { records: chunk.records.slice(middle), retries: chunk.retries },
  ];
}

/** Exponential, from `baseMs`, capped at 5 s. */
export function backoffMs(attempt: number, baseMs = 100): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (attempt - 1));
}
