import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, test } from 'vitest';
import { type EventSource, type EventSourceOptions, startEventSource } from '../src/index.ts';
import { createTestResources, useLocalStack } from './helpers/local-stack.ts';

/**
 * Lambda's batching window and batches over 10 records, as the local event source emulates them:
 * keep receiving (10 per ReceiveMessage) until batchSize, the window since the first message, or
 * the payload limit; then one invocation, and deletes in DeleteMessageBatch calls of 10.
 */
const { clients } = useLocalStack();

async function sendBodies(queueUrl: string, bodies: string[]): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const Entries = bodies.slice(start, start + 10).map((body, index) => ({ Id: String(index), MessageBody: body }));
    await clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
  }
}

/** The shared SQS client, counting the event source's requests by command and delete batch size. */
function countingSqs() {
  const commands: Record<string, number> = {};
  const deleteBatchSizes: number[] = [];
  const sqs = {
    send(command: { constructor: { name: string }; input: { Entries?: unknown[] } }, options?: unknown) {
      const name = command.constructor.name;
      commands[name] = (commands[name] ?? 0) + 1;
      if (name === 'DeleteMessageBatchCommand') deleteBatchSizes.push(command.input.Entries?.length ?? 0);
      return (clients.sqs.send as (command: unknown, options?: unknown) => Promise<unknown>)(command, options);
    },
  } as unknown as SQSClient;
  return { sqs, commands, deleteBatchSizes };
}

/** A fresh queue (visibility 180 s, so a gathered batch never times out) and a source on it that records its invocations. */
async function batchingSource(options: Partial<EventSourceOptions>) {
  const created = await createTestResources();
  const queue = created.queue('SendQueue');
  const counting = countingSqs();
  const invocations: Array<{ event: SQSEvent; at: number }> = [];
  const source = startEventSource({
    sqs: counting.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    functionTimeoutMs: 1_000,
    handler: async (event) => void invocations.push({ event, at: Date.now() }),
    ...options,
  });
  return { queue, source, invocations, ...counting };
}

const bodiesOf = (event: SQSEvent) => event.Records.map((record) => record.body);

async function idleThenStop(source: EventSource): Promise<void> {
  try {
    await source.idle();
  } finally {
    await source.stop();
  }
}

const numbered = (count: number) => Array.from({ length: count }, (_, i) => `m${i}`);

describe.concurrent('local SQS event source: batching window', () => {
  test('gathers more than 10 messages into one invocation and deletes them 10 at a time', async ({ expect }) => {
    const { queue, source, invocations, commands, deleteBatchSizes } = await batchingSource({
      batchSize: 100,
      maximumBatchingWindowSeconds: 0.5,
    });
    await sendBodies(queue.url, numbered(25));
    await idleThenStop(source);
    expect(invocations.map(({ event }) => event.Records.length)).toEqual([25]);
    expect(deleteBatchSizes.sort((a, b) => b - a)).toEqual([10, 10, 5]);
    expect(source.stats()).toMatchObject({ invocations: 1, records: 25, deleted: 25 });
    // 3 full receives at least; a handful more while the window runs, not one per message.
    expect(commands.ReceiveMessageCommand).toBeGreaterThanOrEqual(3);
  });

  test('messages that arrive within the window join the batch; the invocation waits for the window', async ({ expect }) => {
    const { queue, source, invocations } = await batchingSource({ batchSize: 100, maximumBatchingWindowSeconds: 1 });
    const firstSent = Date.now();
    await sendBodies(queue.url, ['a', 'b', 'c']);
    await sleep(300);
    await sendBodies(queue.url, ['d', 'e']);
    await idleThenStop(source);
    expect(invocations).toHaveLength(1);
    expect(bodiesOf(invocations[0]!.event).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(invocations[0]!.at - firstSent).toBeGreaterThanOrEqual(900);
  });

  test('invokes as soon as batchSize messages are there, without waiting out the window', async ({ expect }) => {
    const { queue, source, invocations } = await batchingSource({ batchSize: 20, maximumBatchingWindowSeconds: 30 });
    const sent = Date.now();
    await sendBodies(queue.url, numbered(20));
    await idleThenStop(source);
    expect(invocations.map(({ event }) => event.Records.length)).toEqual([20]);
    expect(invocations[0]!.at - sent).toBeLessThan(5_000);
  });

  test('a backlog gives each free slot a full batch at once, and the slots run together (the send function: 100 per batch, 1 s window)', async ({
    expect,
  }) => {
    const queue = (await createTestResources()).queue('SendQueue');
    await sendBodies(queue.url, numbered(300));
    const started = Date.now();
    const invocations: Array<{ records: number; afterMs: number }> = [];
    let running = 0;
    let mostRunning = 0;
    const source = startEventSource({
      sqs: clients.sqs,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionTimeoutMs: 5_000,
      batchSize: 100,
      maximumBatchingWindowSeconds: 30,
      maximumConcurrency: 3,
      handler: async (event) => {
        invocations.push({ records: event.Records.length, afterMs: Date.now() - started });
        mostRunning = Math.max(mostRunning, ++running);
        await sleep(300);
        running -= 1;
      },
    });
    await idleThenStop(source);
    expect(invocations.map(({ records }) => records)).toEqual([100, 100, 100]);
    expect(mostRunning).toBe(3);
    // Full batches do not wait out the window.
    for (const { afterMs } of invocations) expect(afterMs).toBeLessThan(5_000);
  });

  test('stops gathering before the event would exceed the payload limit; the rest opens the next batch', async ({ expect }) => {
    const maxPayloadBytes = 6_000;
    const { queue, source, invocations } = await batchingSource({ batchSize: 100, maximumBatchingWindowSeconds: 0.3, maxPayloadBytes });
    const bodies = Array.from({ length: 12 }, (_, i) => `${i}:`.padEnd(1_000, 'x'));
    await sendBodies(queue.url, bodies);
    await idleThenStop(source);
    expect(invocations.length).toBeGreaterThan(1);
    for (const { event } of invocations) expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(maxPayloadBytes);
    expect(invocations.flatMap(({ event }) => bodiesOf(event)).sort()).toEqual([...bodies].sort());
    expect(source.stats()).toMatchObject({ records: 12, deleted: 12 });
  });

  test('idle() waits for a batch that is still being gathered', async ({ expect }) => {
    const { queue, source, invocations } = await batchingSource({ batchSize: 100, maximumBatchingWindowSeconds: 0.5 });
    await sendBodies(queue.url, ['only']);
    try {
      await source.idle();
      expect(invocations).toHaveLength(1);
      expect(source.stats()).toMatchObject({ deleted: 1, inFlight: 0 });
    } finally {
      await source.stop();
    }
  });

  test('stop() invokes a batch being gathered at once instead of leaving it hidden', async ({ expect }) => {
    const { queue, source, invocations } = await batchingSource({ batchSize: 100, maximumBatchingWindowSeconds: 60 });
    await sendBodies(queue.url, ['p', 'q']);
    while (source.stats().inFlight === 0) await sleep(20);
    const stopping = Date.now();
    await source.stop();
    expect(Date.now() - stopping).toBeLessThan(5_000);
    expect(invocations.flatMap(({ event }) => bodiesOf(event)).sort()).toEqual(['p', 'q']);
    expect(source.stats()).toMatchObject({ invocations: 1, deleted: 2, inFlight: 0 });
  });
});

describe('startEventSource() batching validation', () => {
  const base = {
    sqs: clients.sqs,
    queueUrl: 'http://127.0.0.1:1/q',
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:q',
    handler: async () => {},
  };
  test.each([
    [{ batchSize: 11 }, /batchSize over 10 needs a batching window/],
    [{ batchSize: 10_001, maximumBatchingWindowSeconds: 1 }, /batchSize must be 1 to 10000/],
    [{ batchSize: 100, maximumBatchingWindowSeconds: 301 }, /maximumBatchingWindowSeconds must be 0 to 300/],
  ])('rejects %j', (options, message) => {
    expect(() => startEventSource({ ...base, ...options })).toThrow(message);
  });
});
