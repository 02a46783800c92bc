import { setTimeout as sleep } from 'node:timers/promises';
import { ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import {
  type EventSource,
  type EventSourceOptions,
  FunctionTimeoutError,
  InvalidBatchResponseError,
  type SqsLambdaHandler,
  startEventSource,
} from '../src/index.ts';
import { createTestResources, useLocalStack } from './helpers/local-stack.ts';

const { clients } = useLocalStack();

/** Queues whose failures come back after 1 s and reach the DLQ on the 3rd receive. */
const FAST_RETRIES = { SendQueue: { VisibilityTimeout: 1, RedrivePolicy: { maxReceiveCount: 2 } } };

async function sendBodies(queueUrl: string, bodies: string[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const Entries = bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body }));
    await clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
  }
}

/** Creates fresh queues, sends `bodies`, runs a source on SendQueue until idle, then stops it. */
async function runUntilIdle(
  bodies: string[],
  handler: SqsLambdaHandler,
  options: Partial<EventSourceOptions> = {},
  overrides: Record<string, Record<string, unknown>> = FAST_RETRIES,
) {
  const created = await createTestResources(overrides);
  const queue = created.queue('SendQueue');
  await sendBodies(queue.url, bodies);
  const errors: Error[] = [];
  const source: EventSource = startEventSource({
    sqs: clients.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    functionTimeoutMs: 1_000,
    onError: (error) => errors.push(error),
    handler,
    ...options,
  });
  try {
    await source.idle({ drain: true });
  } finally {
    await source.stop();
  }
  return { created, queue, errors, stats: source.stats() };
}

/** Records every delivery by body, in order. */
function recorder() {
  const deliveries: SQSRecord[] = [];
  const countOf = (body: string) => deliveries.filter((record) => record.body === body).length;
  return { deliveries, countOf, remember: (event: SQSEvent) => deliveries.push(...event.Records) };
}

describe.concurrent('local SQS event source', () => {
  test('passes real SQS records and Context, and deletes successes', async ({ expect }) => {
    const created = await createTestResources(FAST_RETRIES);
    const queue = created.queue('SendQueue');
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queue.url,
        MessageBody: '{"job":1}',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'send' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
        },
      }),
    );
    let seen: { event: SQSEvent; functionName: string; requestId: string; remaining: number } | undefined;
    const source = startEventSource({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: 'send',
      functionTimeoutMs: 1_000,
      handler: async (event, context) => {
        seen = {
          event,
          functionName: context.functionName,
          requestId: context.awsRequestId,
          remaining: context.getRemainingTimeInMillis(),
        };
      },
    });
    await source.idle();
    await source.stop();

    expect(seen?.functionName).toBe('send');
    expect(seen?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen?.remaining).toBeGreaterThan(0);
    expect(seen?.remaining).toBeLessThanOrEqual(1_000);
    expect(seen?.event.Records).toEqual([
      {
        messageId: expect.any(String),
        receiptHandle: expect.any(String),
        body: '{"job":1}',
        attributes: expect.objectContaining({
          ApproximateReceiveCount: '1',
          SentTimestamp: expect.stringMatching(/^\d+$/),
          ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
          SenderId: expect.any(String),
        }),
        messageAttributes: {
          kind: { stringValue: 'send', stringListValues: [], binaryListValues: [], dataType: 'String' },
          blob: { binaryValue: Buffer.from('hi').toString('base64'), stringListValues: [], binaryListValues: [], dataType: 'Binary' },
        },
        md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
        md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: 'us-east-1',
      },
    ]);
    expect(source.stats()).toMatchObject({ invocations: 1, records: 1, deleted: 1, failures: 0, errors: 0, inFlight: 0 });
  });

  test('redelivers only the batchItemFailures, after the visibility timeout', async ({ expect }) => {
    const { deliveries, countOf, remember } = recorder();
    const { stats } = await runUntilIdle(['a', 'b', 'c'], async (event): Promise<SQSBatchResponse> => {
      remember(event);
      const failing = event.Records.filter((record) => record.body === 'b' && record.attributes.ApproximateReceiveCount === '1');
      return { batchItemFailures: failing.map((record) => ({ itemIdentifier: record.messageId })) };
    });
    expect([countOf('a'), countOf('b'), countOf('c')]).toEqual([1, 2, 1]);
    const [first, second] = deliveries.filter((record) => record.body === 'b');
    expect(second?.attributes.ApproximateReceiveCount).toBe('2');
    expect(Number(second?.attributes.ApproximateFirstReceiveTimestamp)).toBe(Number(first?.attributes.ApproximateFirstReceiveTimestamp));
    expect(stats).toMatchObject({ records: 4, deleted: 3, failures: 1, errors: 0 });
  });

  test('a handler that throws leaves the whole batch for redelivery', async ({ expect }) => {
    const { countOf, remember } = recorder();
    const { stats, errors } = await runUntilIdle(['x', 'y'], async (event) => {
      remember(event);
      if (event.Records.some((record) => record.attributes.ApproximateReceiveCount === '1')) throw new Error('boom');
    });
    expect([countOf('x'), countOf('y')]).toEqual([2, 2]);
    expect(stats.deleted).toBe(2);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.message === 'boom')).toBe(true);
  });

  test('a message that keeps failing reaches the DLQ after maxReceiveCount', async ({ expect }) => {
    const { countOf, remember } = recorder();
    const { created } = await runUntilIdle(['poison'], async (event) => {
      remember(event);
      throw new Error('always fails');
    });
    expect(countOf('poison')).toBe(2);
    const { Messages } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: created.queue('SendDeadLetterQueue').url,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    expect(Messages?.map((message) => message.Body)).toEqual(['poison']);
  });

  test('respects batchSize', async ({ expect }) => {
    const sizes: number[] = [];
    const bodies = Array.from({ length: 25 }, (_, i) => `m${i}`);
    const { stats } = await runUntilIdle(bodies, async (event) => void sizes.push(event.Records.length), { batchSize: 4 });
    expect(Math.max(...sizes)).toBe(4);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(25);
    expect(stats.deleted).toBe(25);
  });

  test('respects maximumConcurrency', async ({ expect }) => {
    let running = 0;
    let peak = 0;
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    await runUntilIdle(
      bodies,
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(100);
        running -= 1;
      },
      { batchSize: 1, maximumConcurrency: 3 },
    );
    expect(peak).toBe(3);
  });

  test('an invocation longer than the function timeout fails, and its records come back', async ({ expect }) => {
    const { countOf, remember } = recorder();
    const { errors, stats } = await runUntilIdle(
      ['slow'],
      async (event, context) => {
        remember(event);
        if (event.Records[0]?.attributes.ApproximateReceiveCount === '1') await sleep(context.getRemainingTimeInMillis() + 200);
      },
      { functionTimeoutMs: 300 },
    );
    expect(countOf('slow')).toBe(2);
    expect(errors[0]).toBeInstanceOf(FunctionTimeoutError);
    expect(stats).toMatchObject({ invocations: 2, errors: 1, deleted: 1 });
  });

  test('an itemIdentifier that is not in the batch fails the whole batch', async ({ expect }) => {
    const { countOf, remember } = recorder();
    const { errors } = await runUntilIdle(['p', 'q'], async (event): Promise<SQSBatchResponse> => {
      remember(event);
      const firstTime = event.Records.some((record) => record.attributes.ApproximateReceiveCount === '1');
      return { batchItemFailures: firstTime ? [{ itemIdentifier: 'not-in-this-batch' }] : [] };
    });
    expect([countOf('p'), countOf('q')]).toEqual([2, 2]);
    expect(errors[0]).toBeInstanceOf(InvalidBatchResponseError);
  });

  test('with reportBatchItemFailures off, the response is ignored', async ({ expect }) => {
    const { countOf, remember } = recorder();
    const { stats } = await runUntilIdle(
      ['r'],
      async (event): Promise<SQSBatchResponse> => {
        remember(event);
        return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
      },
      { reportBatchItemFailures: false },
    );
    expect(countOf('r')).toBe(1);
    expect(stats.deleted).toBe(1);
  });

  test('idle() does not wait for delayed messages unless draining', async ({ expect }) => {
    const created = await createTestResources(FAST_RETRIES);
    const queue = created.queue('SendQueue');
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'later', DelaySeconds: 60 }));
    await sendBodies(queue.url, ['now']);
    const { countOf, remember } = recorder();
    const source = startEventSource({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionTimeoutMs: 1_000,
      handler: async (event) => void remember(event),
    });
    try {
      await source.idle();
      expect([countOf('now'), countOf('later')]).toEqual([1, 0]);
      const draining = source.idle({ drain: true }).then(() => 'drained');
      draining.catch(() => undefined); // rejects once stop() runs below
      expect(await Promise.race([draining, sleep(300).then(() => 'waiting')])).toBe('waiting');
    } finally {
      await source.stop();
    }
  });

  test('stop() waits for the running invocation and its delete', async ({ expect }) => {
    const created = await createTestResources(FAST_RETRIES);
    const queue = created.queue('SendQueue');
    await sendBodies(queue.url, ['held']);
    let started!: () => void;
    const invoked = new Promise<void>((resolve) => (started = resolve));
    const source = startEventSource({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionTimeoutMs: 1_000,
      handler: async () => {
        started();
        await sleep(200);
      },
    });
    await invoked;
    await source.stop();
    expect(source.stats()).toMatchObject({ invocations: 1, deleted: 1, inFlight: 0 });
    await expect(source.idle()).rejects.toThrow(/stopped/);
  });

  test('refuses a queue whose visibility timeout is shorter than the function timeout, as AWS does', async ({ expect }) => {
    const created = await createTestResources(FAST_RETRIES);
    const queue = created.queue('SendQueue');
    const errors: Error[] = [];
    const source = startEventSource({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionTimeoutMs: 30_000,
      handler: async () => {},
      onError: (error) => errors.push(error),
    });
    await expect(source.idle()).rejects.toThrow('Queue visibility timeout: 1 seconds is less than Function timeout: 30 seconds');
    await source.stop();
    expect(errors).toHaveLength(1);
  });
});

describe('startEventSource() validation', () => {
  const base = {
    sqs: clients.sqs,
    queueUrl: 'http://127.0.0.1:1/q',
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:q',
    handler: async () => {},
  };
  test.each([
    [{ batchSize: 11 }, /batchSize over 10 needs a batching window/],
    [{ maximumConcurrency: 1 }, /maximumConcurrency must be 2 to 1000/],
    [{ queueArn: 'arn:aws:sns:us-east-1:0:t' }, /Not an SQS queue ARN/],
  ])('rejects %j', (options, message) => {
    expect(() => startEventSource({ ...base, ...options })).toThrow(message);
  });
});
