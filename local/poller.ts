import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLambdaContext } from './stack/lambda-context.ts';
import { interpretBatchResponse, toSqsRecord } from './stack/sqs-event.ts';

/** A Lambda handler for SQS events, as the project's functions export it. */
export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** Options for {@link startEventSource}; defaults mirror the project's event source mappings. */
export interface EventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsLambdaHandler;
  /** Default: `local-<queue name>`. */
  functionName?: string;
  /** Records per invocation, 1 to 10 (default 10). Larger batches need a batching window, which is not emulated. */
  batchSize?: number;
  /** Handler invocations in flight at most, 2 to 1000 as on AWS (default 2). */
  maximumConcurrency?: number;
  /** Honour `batchItemFailures` in the response (default true); when false the response is ignored. */
  reportBatchItemFailures?: boolean;
  /** The function timeout (default 30 000 ms): a longer invocation counts as failed. */
  functionTimeoutMs?: number;
  /** ReceiveMessage long-poll wait (default 1 s; AWS pollers use 20 s). */
  waitTimeSeconds?: number;
  /** Called before each invocation. */
  onInvoke?: (event: SQSEvent, context: Context) => void;
  /**
   * Called for a failed invocation (handler threw, timed out or returned an invalid response;
   * `event` set) and for polling errors (`event` undefined). Default: log to stderr.
   */
  onError?: (error: Error, event?: SQSEvent) => void;
}

/** Counters since start. */
export interface EventSourceStats {
  /** Handler invocations. */
  invocations: number;
  /** Records passed to the handler. */
  records: number;
  /** Records deleted after a successful invocation. */
  deleted: number;
  /** Records left on the queue: reported in `batchItemFailures` or part of a failed invocation. */
  failures: number;
  /** Invocations that threw, timed out or returned an invalid batch response. */
  errors: number;
  /** ReceiveMessage / DeleteMessageBatch errors. */
  pollErrors: number;
  /** Invocations running now (including deleting their successes). */
  inFlight: number;
}

/** A running local event source mapping. */
export interface EventSource {
  /** Stops receiving and waits for running invocations to finish and delete their successes. */
  stop(): Promise<void>;
  /**
   * Resolves once nothing is in flight here and the queue has no visible message, observed twice
   * in a row: everything deliverable now has been handled. Messages that are delayed or waiting
   * out a visibility timeout (failures to retry, parked jobs) do not count, unless `drain` is set:
   * then it waits until the queue holds no message at all, so retries have run to success or to
   * the DLQ. Rejects if the source stops or cannot start.
   */
  idle(options?: IdleOptions): Promise<void>;
  stats(): EventSourceStats;
}

/** Options for {@link EventSource.idle}. */
export interface IdleOptions {
  /** Also wait for delayed messages and messages waiting out a visibility timeout (default false). */
  drain?: boolean;
}

/** The handler ran longer than the function timeout. */
export class FunctionTimeoutError extends Error {
  override name = 'FunctionTimeoutError';
}

/** The handler's response broke the partial batch response rules, so the whole batch failed. */
export class InvalidBatchResponseError extends Error {
  override name = 'InvalidBatchResponseError';
}

const IDLE_CHECK_INTERVAL_MS = 50;
const MAX_POLL_BACKOFF_MS = 5_000;

/**
 * Runs an SQS handler the way Lambda's SQS event source mapping does, against a local queue:
 * receives up to `batchSize` messages with all attributes, invokes the handler with a real
 * `SQSEvent` and `Context`, at most `maximumConcurrency` invocations at a time, then deletes only
 * the successes. A handler that throws or times out deletes nothing; `batchItemFailures` leaves
 * just those records. Failed records come back after the queue's visibility timeout, and the
 * queue's redrive policy moves them to the DLQ after `maxReceiveCount` receives.
 *
 * As AWS does when the mapping is created, it refuses a queue whose visibility timeout is shorter
 * than the function timeout (reported through `onError` and `idle()`).
 *
 * Unlike Lambda, a timed-out handler cannot be killed: its promise keeps running in this process.
 *
 * @example
 * const source = startEventSource({ sqs, queueUrl, queueArn, handler, functionTimeoutMs: 5_000 });
 * await source.idle(); // or idle({ drain: true }) to also wait for retries
 * await source.stop();
 */
export function startEventSource(options: EventSourceOptions): EventSource {
  const { sqs, queueUrl, queueArn, handler } = options;
  const batchSize = options.batchSize ?? 10;
  const maximumConcurrency = options.maximumConcurrency ?? 2;
  const functionTimeoutMs = options.functionTimeoutMs ?? 30_000;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const reportBatchItemFailures = options.reportBatchItemFailures ?? true;
  const { region, accountId, queueName } = parseQueueArn(queueArn);
  const functionName = options.functionName ?? `local-${queueName}`;
  const onError = options.onError ?? ((error: Error) => console.error(`[${functionName}]`, error));

  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) throw new RangeError(`batchSize must be 1 to 10, got ${batchSize}`);
  if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 2 || maximumConcurrency > 1000) {
    throw new RangeError(`maximumConcurrency must be 2 to 1000 (as on AWS), got ${maximumConcurrency}`);
  }
  if (!(functionTimeoutMs > 0)) throw new RangeError(`functionTimeoutMs must be positive, got ${functionTimeoutMs}`);

  const counters = { invocations: 0, records: 0, deleted: 0, failures: 0, errors: 0, pollErrors: 0 };
  let inFlight = 0;
  /** Batches received so far: lets idle() notice a batch that arrived between two of its checks. */
  let receivedBatches = 0;
  let fatal: Error | undefined;
  const stopping = new AbortController();
  let stopped: Promise<void> | undefined;

  async function checkVisibilityTimeout(): Promise<void> {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }));
    const visibilitySeconds = Number(Attributes?.VisibilityTimeout);
    if (visibilitySeconds * 1000 < functionTimeoutMs) {
      throw new Error(
        `Queue visibility timeout: ${visibilitySeconds} seconds is less than Function timeout: ${functionTimeoutMs / 1000} seconds (${queueName})`,
      );
    }
  }

  async function receive(): Promise<Message[]> {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopping.signal },
    );
    return Messages ?? [];
  }

  async function invoke(messages: Message[]): Promise<void> {
    const records = messages.map((message) => toSqsRecord(message, queueArn, region));
    const event: SQSEvent = { Records: records };
    const context = createLambdaContext({ functionName, timeoutMs: functionTimeoutMs, region, accountId });
    counters.invocations += 1;
    counters.records += records.length;
    options.onInvoke?.(event, context);

    let failedIds: Set<string>;
    try {
      const response = await withTimeout(() => handler(event, context), functionTimeoutMs, functionName);
      const outcome = reportBatchItemFailures ? interpretBatchResponse(response, records.map((record) => record.messageId)) : { failedIds: new Set<string>() };
      if (outcome.invalidResponse) {
        counters.errors += 1;
        onError(new InvalidBatchResponseError(`${functionName}: ${outcome.invalidResponse}; the whole batch failed`), event);
      }
      failedIds = outcome.failedIds;
    } catch (error) {
      counters.errors += 1;
      onError(asError(error), event);
      failedIds = new Set(records.map((record) => record.messageId));
    }
    counters.failures += failedIds.size;
    await deleteRecords(records.filter((record) => !failedIds.has(record.messageId)));
  }

  async function deleteRecords(records: SQSRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      const { Failed } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      counters.deleted += records.length - (Failed?.length ?? 0);
      if (Failed && Failed.length > 0) {
        counters.pollErrors += 1;
        onError(new Error(`DeleteMessageBatch failed for ${Failed.length} record(s): ${JSON.stringify(Failed)}`));
      }
    } catch (error) {
      counters.pollErrors += 1;
      onError(asError(error));
    }
  }

  /** One of `maximumConcurrency` loops: receive only when this slot is free, so no message waits out its visibility timeout in a local buffer. */
  async function runSlot(ready: Promise<void>): Promise<void> {
    await ready;
    let consecutiveErrors = 0;
    while (!stopping.signal.aborted && !fatal) {
      let messages: Message[];
      try {
        messages = await receive();
        consecutiveErrors = 0;
      } catch (error) {
        if (stopping.signal.aborted) return;
        counters.pollErrors += 1;
        onError(asError(error));
        consecutiveErrors += 1;
        const backoff = Math.min(MAX_POLL_BACKOFF_MS, 100 * 2 ** consecutiveErrors);
        await sleep(backoff, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      if (messages.length === 0) continue;
      receivedBatches += 1;
      inFlight += 1;
      try {
        await invoke(messages);
      } catch (error) {
        // Not the handler (invoke() catches its failures) but a malformed message or a throwing
        // onInvoke hook: nothing was deleted, so the batch comes back like any failure.
        counters.pollErrors += 1;
        onError(asError(error));
      } finally {
        inFlight -= 1;
      }
    }
  }

  const ready = checkVisibilityTimeout().catch((error: unknown) => {
    fatal = asError(error);
    onError(fatal);
  });
  const slots = Array.from({ length: maximumConcurrency }, () => runSlot(ready));

  /** With `drain`, messages not visible or delayed count too. */
  async function queueIsEmpty(drain: boolean): Promise<boolean> {
    const counted = drain
      ? (['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const)
      : (['ApproximateNumberOfMessages'] as const);
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...counted] }));
    return counted.every((name) => Number(Attributes?.[name]) === 0);
  }

  return {
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await Promise.all(slots);
      })();
      return stopped;
    },

    async idle(idleOptions = {}) {
      const drain = idleOptions.drain ?? false;
      await ready;
      let emptySeenAfterBatch: number | undefined;
      for (;;) {
        if (fatal) throw fatal;
        if (stopping.signal.aborted) throw new Error(`${functionName}: event source stopped before ${queueName} was idle`);
        const batchesBefore = receivedBatches;
        const empty = inFlight === 0 && (await queueIsEmpty(drain)) && receivedBatches === batchesBefore;
        // Draining counts messages in transit to a receive as not visible, so one sighting is exact.
        // Otherwise a batch can be on its way to us while SQS already reports nothing visible: a
        // second sighting with no batch received in between rules that out.
        if (empty && (drain || emptySeenAfterBatch === batchesBefore)) return;
        emptySeenAfterBatch = empty ? batchesBefore : undefined;
        await sleep(IDLE_CHECK_INTERVAL_MS);
      }
    },

    stats: () => ({ ...counters, inFlight }),
  };
}

/** Runs `work`, rejecting with FunctionTimeoutError after `timeoutMs`. */
function withTimeout<T>(work: () => Promise<T>, timeoutMs: number, functionName: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(`${functionName}: task timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  const invocation = Promise.resolve().then(work);
  // A handler that fails after its timeout must not surface as an unhandled rejection.
  invocation.catch(() => undefined);
  return Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
}

function parseQueueArn(arn: string): { region: string; accountId: string; queueName: string } {
  const [prefix, partition, service, region, accountId, queueName] = arn.split(':');
  if (prefix !== 'arn' || !partition || service !== 'sqs' || !region || !accountId || !queueName) {
    throw new Error(`Not an SQS queue ARN: ${arn}`);
  }
  return { region, accountId, queueName };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
