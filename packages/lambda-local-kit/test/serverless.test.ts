import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { type LocalResources, readServerlessFile, resolveFunctionSettings } from '../src/index.ts';

const serverlessFile = fileURLToPath(new URL('./fixtures/serverless.yml', import.meta.url));

const queue = (name: string) => ({
  type: 'queue' as const,
  name,
  url: `http://127.0.0.1:1/000000000000/${name}`,
  arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
});

/** What createResources would have returned for the queues and the table the fixture refers to. */
const resources: LocalResources = {
  SendQueue: queue('orders-t1-send'),
  StatusQueue: queue('orders-t1-status'),
  JobsTable: { type: 'table', name: 'orders-t1-jobs' },
};

const settingsOf = (functionName: string) => resolveFunctionSettings({ serverlessFile, functionName, resources, stage: 't1' });

describe('readServerlessFile()', () => {
  test('parses the file as written, variables unresolved', () => {
    const file = readServerlessFile(serverlessFile);
    expect(file.service).toBe('orders');
    expect(file.functions.worker?.environment?.TOKEN_PARAMETER).toBe('${param:tokenParameter}');
  });
});

describe('resolveFunctionSettings()', () => {
  test("resolves the provider's and the function's environment: Ref, params, service, stage and file variables", async () => {
    const worker = await settingsOf('worker');
    expect(worker.environment).toEqual({
      LOG_LEVEL: 'INFO',
      ORDERS_TABLE: 'orders-t1-jobs',
      WORK_QUEUE_URL: 'http://127.0.0.1:1/000000000000/orders-t1-send',
      TOKEN_PARAMETER: '/orders/t1/api-token',
      RATE_PER_SECOND: '80',
      RETRY_LIMIT: '3',
    });
  });

  test('takes the event source mapping settings, resolving a derived maximumConcurrency', async () => {
    const worker = await settingsOf('worker');
    expect(worker).toMatchObject({
      name: 'worker',
      timeoutMs: 30_000,
      sqs: { queue: 'SendQueue', batchSize: 100, maximumBatchingWindowSeconds: 1, maximumConcurrency: 3, reportBatchItemFailures: true },
    });
  });

  test("defaults to the provider's timeout, AWS's batch size and window, no partial failures and a concurrency of 2", async () => {
    const notifier = await settingsOf('notifier');
    expect(notifier).toMatchObject({
      timeoutMs: 20_000,
      sqs: { queue: 'StatusQueue', batchSize: 10, maximumBatchingWindowSeconds: 0, maximumConcurrency: 2, reportBatchItemFailures: false },
    });
  });

  test("takes a DynamoDB stream event's settings as osls names them, with AWS's defaults where unset", async () => {
    expect((await settingsOf('tally')).stream).toEqual({
      table: 'JobsTable',
      batchSize: 500,
      maximumBatchingWindowSeconds: 1,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: 10,
      bisectBatchOnFunctionError: false,
      reportBatchItemFailures: false,
      filterPatterns: [{ eventName: ['INSERT', 'MODIFY'] }],
      onFailureQueue: 'StatusQueue',
    });
    expect((await settingsOf('tallyDefaults')).stream).toEqual({
      table: 'JobsTable',
      batchSize: 100,
      maximumBatchingWindowSeconds: 0,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: -1,
      bisectBatchOnFunctionError: false,
      reportBatchItemFailures: false,
    });
    await expect(settingsOf('kinesisReader')).rejects.toThrow(/stream event of type kinesis; the kit runs type dynamodb only/);
    await expect(settingsOf('tableArnReader')).rejects.toThrow(
      /function tableArnReader: stream arn must be \{ "Fn::GetAtt": \[<table>, StreamArn\] \}/,
    );
  });

  test('names a variable it cannot resolve, and where it is used', async () => {
    await expect(settingsOf('unresolvable')).rejects.toThrow(/unresolvable\.environment\.REGION: cannot resolve \$\{opt:region\} locally/);
  });

  test('refuses a Ref to a resource that was not created locally', async () => {
    await expect(settingsOf('orphan')).rejects.toThrow(/orphan\.environment\.DEAD_LETTERS: Ref NoSuchQueue is not a local resource/);
  });

  test('refuses a function the file does not define', async () => {
    await expect(settingsOf('missing')).rejects.toThrow(/serverless\.yml has no function missing/);
  });
});
