import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLambdaContext, newLogStreamName } from './lambda-context.ts';
import { interpretBatchResponse, toSqsRecord } from './sqs-event.ts';

/** A Lambda handler for SQS events (returning an `SQSBatchResponse` when it reports partial failures). */
// biome-ignore lint/suspicious/noConfusingVoidType: as in Lambda's own types, a handler that reports no failure may return nothing.
export type SqsLambdaHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** Options for {@link startEventSource}. */
export interface EventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsLambdaHandler;
  /** Default: `local-<queue name>`. */
  functionName?: string;
  /** Records per invocation at most, 1 to 10,000 (default 10); above 10 it needs a batching window, as on AWS. */
  batchSize?: number;
  /**
   * Lambda's `maximumBatchingWindow`, in seconds (default 0, at most 300): how long to keep
   * receiving after a batch's first message before invoking with what has arrived. At 0, one
   * receive makes one invocation. AWS takes whole seconds only; tests may pass fractions.
   */
  maximumBatchingWindowSeconds?: number;
  /** Stop gathering before a batch's records would exceed this many bytes of event (default 6 MB, Lambda's invocation payload limit). */
  maxPayloadBytes?: number;
  /** Handler invocations in flight at most, 2 to 1000 as on AWS (default 2; on AWS, no cap unless one is set). */
  maximumConcurrency?: number;
  /**
   * Honour `batchItemFailures` in the response, as `functionResponseType: ReportBatchItemFailures`
   * does (default true, unlike AWS); when false the response is ignored.
   */
  reportBatchItemFailures?: boolean;
  /** The function timeout (default 30 000 ms): a longer invocation counts as failed. */
  functionTimeoutMs?: number;
  /** ReceiveMessage long-poll wait for a batch's first message (default 1 s; AWS pollers use 20 s). */
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
  /** Batches being gathered or handled now (invocation running, or deleting its successes). */
  inFlight: number;
  /** Wall time of all handler runs, ms: what Lambda bills (gathering and deleting are the event source's). */
  handlerMs: number;
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
/** Lambda's payload limit for a synchronous invocation, which is how an event source mapping invokes. */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
/** SQS hands out at most 10 messages per ReceiveMessage. */
const MAX_MESSAGES_PER_RECEIVE = 10;
/** `{"Records":[]}` around the records. */
const EVENT_ENVELOPE_BYTES = 14;
/**
 * While a batch is gathered, a receive that returns fewer messages than asked for means the queue
 * is empty for now: wait a fifth of the window (at most a second) before asking again, rather than
 * spending one receive on every message that trickles in.
 */
const GATHER_POLLS_PER_WINDOW = 5;
const MAX_GATHER_PAUSE_MS = 1_000;

/**
 * Runs an SQS handler the way Lambda's SQS event source mapping does, against a local queue:
 * gathers a batch (below), invokes the handler with a real `SQSEvent` and `Context`, at most
 * `maximumConcurrency` invocations at a time, then deletes only the successes, in
 * DeleteMessageBatch calls of 10. A handler that throws or times out deletes nothing;
 * `batchItemFailures` leaves just those records. Failed records come back after the queue's
 * visibility timeout, and the queue's redrive policy moves them to the DLQ after
 * `maxReceiveCount` receives.
 *
 * A batch: a free slot long-polls for a first message, then, with a batching window, keeps
 * receiving (10 per ReceiveMessage) until it holds `batchSize` records, the window since its first
 * message has passed, or one more record would take the event over `maxPayloadBytes`; records that
 * did not fit open the next batch. With a window, one slot gathers at a time (as one poller
 * feeding the function's concurrency), so a trickle is not split into a small batch per slot;
 * without one, each free slot receives on its own and one receive makes one batch.
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
  const batchingWindowMs = (options.maximumBatchingWindowSeconds ?? 0) * 1000;
  const maxPayloadBytes = options.maxPayloadBytes ?? LAMBDA_PAYLOAD_LIMIT_BYTES;
  const maximumConcurrency = options.maximumConcurrency ?? 2;
  const functionTimeoutMs = options.functionTimeoutMs ?? 30_000;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const reportBatchItemFailures = options.reportBatchItemFailures ?? true;
  const { region, accountId, queueName } = parseQueueArn(queueArn);
  const functionName = options.functionName ?? `local-${queueName}`;
  const onError = options.onError ?? ((error: Error) => console.error(`[${functionName}]`, error));

  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new RangeError(`batchSize must be 1 to 10000, got ${batchSize}`);
  if (!(batchingWindowMs >= 0 && batchingWindowMs <= 300_000))
    throw new RangeError(`maximumBatchingWindowSeconds must be 0 to 300, got ${options.maximumBatchingWindowSeconds}`);
  if (batchSize > MAX_MESSAGES_PER_RECEIVE && batchingWindowMs === 0) {
    throw new RangeError(
      `a batchSize over 10 needs a batching window (AWS: maximumBatchingWindow of at least 1 s), got batchSize ${batchSize} without one`,
    );
  }
  if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 2 || maximumConcurrency > 1000) {
    throw new RangeError(`maximumConcurrency must be 2 to 1000 (as on AWS), got ${maximumConcurrency}`);
  }
  if (!(functionTimeoutMs > 0)) throw new RangeError(`functionTimeoutMs must be positive, got ${functionTimeoutMs}`);

  const counters = { invocations: 0, records: 0, deleted: 0, failures: 0, errors: 0, pollErrors: 0, handlerMs: 0 };
  let inFlight = 0;
  /** Non-empty receives so far: lets idle() notice messages that arrived between two of its checks. */
  let receivedBatches = 0;
  let fatal: Error | undefined;
  /** Records received for a batch that had no room left: they open the next batch. */
  let carried: SQSRecord[] = [];
  /** With a window, slots take turns gathering: this resolves when the current gatherer is done. */
  let gatherTurn: Promise<void> = Promise.resolve();
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

  async function receive(maxMessages: number, waitSeconds: number): Promise<SQSRecord[]> {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: maxMessages,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopping.signal },
    );
    if (Messages && Messages.length > 0) receivedBatches += 1;
    return (Messages ?? []).flatMap((message) => {
      try {
        return [toSqsRecord(message, queueArn, region)];
      } catch (error) {
        // Left on the queue: it comes back after the visibility timeout, and reaches the DLQ in the end.
        counters.pollErrors += 1;
        onError(asError(error));
        return [];
      }
    });
  }

  /** Waits for this slot's turn to gather; call the returned function when done. Without a window, no waiting. */
  async function takeGatherTurn(): Promise<() => void> {
    if (batchingWindowMs === 0) return () => {};
    let done!: () => void;
    const previous = gatherTurn;
    gatherTurn = new Promise<void>((resolve) => (done = resolve));
    await previous;
    return done;
  }

  /**
   * One batch: the records an earlier batch had no room for, and what arrives until the batch is
   * full, its window has passed, or the source stops. The batch counts as in flight from its first
   * record. Throws only when a receive fails before any record arrived.
   */
  async function gather(): Promise<SQSRecord[]> {
    const records: SQSRecord[] = [];
    const overflow: SQSRecord[] = [];
    const leftOver = carried;
    carried = [];
    let eventBytes = EVENT_ENVELOPE_BYTES;
    let deadline: number | undefined;
    const take = (incoming: SQSRecord[]) => {
      for (const record of incoming) {
        const bytes = Buffer.byteLength(JSON.stringify(record)) + 1;
        // A record larger than the limit on its own still goes, alone (Lambda would refuse the message; SQS's own cap keeps it from happening).
        const fits = overflow.length === 0 && records.length < batchSize && (records.length === 0 || eventBytes + bytes <= maxPayloadBytes);
        if (!fits) {
          overflow.push(record);
          continue;
        }
        records.push(record);
        eventBytes += bytes;
      }
      if (records.length > 0 && deadline === undefined) {
        deadline = Date.now() + batchingWindowMs;
        inFlight += 1;
      }
    };
    take(leftOver);
    for (;;) {
      const gathering = deadline !== undefined;
      if (overflow.length > 0 || records.length >= batchSize || stopping.signal.aborted || (gathering && batchingWindowMs === 0)) break;
      const asked = Math.min(MAX_MESSAGES_PER_RECEIVE, batchSize - records.length);
      let received: SQSRecord[];
      try {
        received = await receive(asked, gathering ? 0 : waitTimeSeconds);
      } catch (error) {
        if (!gathering) throw error;
        if (!stopping.signal.aborted) {
          counters.pollErrors += 1;
          onError(asError(error));
        }
        break; // invoke with what has been gathered
      }
      take(received);
      if (deadline === undefined) continue;
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) break;
      if (received.length < asked) {
        await sleep(Math.min(remainingMs, batchingWindowMs / GATHER_POLLS_PER_WINDOW, MAX_GATHER_PAUSE_MS), undefined, {
          signal: stopping.signal,
        }).catch(() => undefined);
      }
    }
    carried.push(...overflow);
    return records;
  }

  async function invoke(records: SQSRecord[], logStreamName: string): Promise<void> {
    const event: SQSEvent = { Records: records };
    const context = createLambdaContext({ functionName, timeoutMs: functionTimeoutMs, region, accountId, logStreamName });
    counters.invocations += 1;
    counters.records += records.length;
    options.onInvoke?.(event, context);

    let failedIds: Set<string>;
    const started = performance.now();
    try {
      const response = await withTimeout(() => handler(event, context), functionTimeoutMs, functionName);
      const outcome = reportBatchItemFailures
        ? interpretBatchResponse(
            response,
            records.map((record) => record.messageId),
          )
        : { failedIds: new Set<string>() };
      if (outcome.invalidResponse) {
        counters.errors += 1;
        onError(new InvalidBatchResponseError(`${functionName}: ${outcome.invalidResponse}; the whole batch failed`), event);
      }
      failedIds = outcome.failedIds;
    } catch (error) {
      counters.errors += 1;
      onError(asError(error), event);
      failedIds = new Set(records.map((record) => record.messageId));
    } finally {
      counters.handlerMs += performance.now() - started;
    }
    counters.failures += failedIds.size;
    const successes = records.filter((record) => !failedIds.has(record.messageId));
    const chunks = Array.from({ length: Math.ceil(successes.length / MAX_MESSAGES_PER_RECEIVE) }, (_, i) =>
      successes.slice(i * MAX_MESSAGES_PER_RECEIVE, (i + 1) * MAX_MESSAGES_PER_RECEIVE),
    );
    await Promise.all(chunks.map(deleteRecords));
  }

  /** One DeleteMessageBatch call: 10 records at most. */
  async function deleteRecords(records: SQSRecord[]): Promise<void> {
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

  /**
   * One of `maximumConcurrency` loops: gathers only when this slot is free, so no message waits out
   * its visibility timeout in a local buffer. On stop, a batch being gathered is invoked at once.
   * A slot stands for one execution environment: its invocations share a log stream.
   */
  async function runSlot(ready: Promise<void>): Promise<void> {
    await ready;
    const logStreamName = newLogStreamName();
    let consecutiveErrors = 0;
    while (!fatal && (!stopping.signal.aborted || carried.length > 0)) {
      let records: SQSRecord[];
      const gathered = await takeGatherTurn();
      try {
        records = await gather();
        consecutiveErrors = 0;
      } catch (error) {
        gathered();
        if (stopping.signal.aborted) return;
        counters.pollErrors += 1;
        onError(asError(error));
        consecutiveErrors += 1;
        const backoff = Math.min(MAX_POLL_BACKOFF_MS, 100 * 2 ** consecutiveErrors);
        await sleep(backoff, undefined, { signal: stopping.signal }).catch(() => undefined);
        continue;
      }
      gathered();
      if (records.length === 0) continue;
      try {
        await invoke(records, logStreamName);
      } catch (error) {
        // Not the handler (invoke() catches its failures) but a throwing onInvoke hook: nothing
        // was deleted, so the batch comes back like any failure.
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
export function withTimeout<T>(work: () => Promise<T>, timeoutMs: number, functionName: string): Promise<T> {
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
