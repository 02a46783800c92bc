import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createResources } from '../src/index.ts';
import { createTestResources, FIXTURE_FILES, TEST_SERVICE, type TestResources, useLocalStack } from './helpers/local-stack.ts';

const { endpoints, clients } = useLocalStack();

async function queueAttributes(url: string): Promise<Record<string, string>> {
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return Attributes ?? {};
}

describe('resources from CloudFormation files', () => {
  let created: TestResources;
  beforeAll(async () => {
    created = await createTestResources();
  });

  test('creates every queue and table, named by service and stage', () => {
    const names = Object.fromEntries(Object.entries(created.resources).map(([id, resource]) => [id, `${resource.type}:${resource.name}`]));
    const prefix = `${TEST_SERVICE}-${created.stage}`;
    expect(names).toEqual({
      SendQueue: `queue:${prefix}-send`,
      SendDeadLetterQueue: `queue:${prefix}-send-dlq`,
      DeferredQueue: `queue:${prefix}-deferred`,
      DeferredDeadLetterQueue: `queue:${prefix}-deferred-dlq`,
      StatusQueue: `queue:${prefix}-status`,
      StatusDeadLetterQueue: `queue:${prefix}-status-dlq`,
      JobsTable: `table:${prefix}-recipient-jobs`,
      UsersTable: `table:${prefix}-users`,
      CampaignsTable: `table:${prefix}-campaigns`,
      ControlTable: `table:${prefix}-control`,
    });
  });

  test('queues carry the template attributes, with RedrivePolicy pointing at the local DLQ', async () => {
    const send = await queueAttributes(created.queue('SendQueue').url);
    expect(send).toMatchObject({ VisibilityTimeout: '181', MessageRetentionPeriod: '1209600', QueueArn: created.queue('SendQueue').arn });
    expect(JSON.parse(send.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: created.queue('SendDeadLetterQueue').arn,
      maxReceiveCount: 5,
    });

    const deferred = await queueAttributes(created.queue('DeferredQueue').url);
    expect(deferred.VisibilityTimeout).toBe('60');
    expect(JSON.parse(deferred.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: created.queue('DeferredDeadLetterQueue').arn,
      maxReceiveCount: 100,
    });

    const dlq = await queueAttributes(created.queue('SendDeadLetterQueue').url);
    expect(dlq.MessageRetentionPeriod).toBe('1209600');
    expect(dlq.RedrivePolicy).toBeUndefined();
  });

  test('tables carry keys, GSIs, billing mode and TTL', async () => {
    const { Table: jobs } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: created.table('JobsTable').name }));
    expect(jobs?.KeySchema).toEqual([
      { AttributeName: 'recipient', KeyType: 'HASH' },
      { AttributeName: 'campaignId', KeyType: 'RANGE' },
    ]);
    expect(jobs?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(jobs?.GlobalSecondaryIndexes).toBeUndefined();

    const { Table: campaigns } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: created.table('CampaignsTable').name }));
    expect(campaigns?.KeySchema).toEqual([
      { AttributeName: 'campaignId', KeyType: 'HASH' },
      { AttributeName: 'item', KeyType: 'RANGE' },
    ]);

    const ttlOf = async (logicalId: string) =>
      (await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: created.table(logicalId).name }))).TimeToLiveDescription;
    expect(await ttlOf('JobsTable')).toEqual({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
    expect(await ttlOf('UsersTable')).toEqual({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
    expect(await ttlOf('CampaignsTable')).toEqual({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
  });

  test('is idempotent: running it again returns the same resources', async () => {
    const again = await createResources({
      sqsEndpoint: endpoints.sqs,
      dynamoEndpoint: endpoints.dynamodb,
      service: TEST_SERVICE,
      stage: created.stage,
      files: FIXTURE_FILES,
    });
    expect(again).toEqual(created.resources);
  });
});

describe('overrides', () => {
  test('deep-merge into the template properties', async () => {
    const created = await createTestResources({ SendQueue: { VisibilityTimeout: 2, RedrivePolicy: { maxReceiveCount: 2 } } });
    const send = await queueAttributes(created.queue('SendQueue').url);
    expect(send.VisibilityTimeout).toBe('2');
    expect(JSON.parse(send.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: created.queue('SendDeadLetterQueue').arn,
      maxReceiveCount: 2,
    });
  });

  test('undefined removes a property', async () => {
    const created = await createTestResources({ SendQueue: { RedrivePolicy: undefined } });
    expect((await queueAttributes(created.queue('SendQueue').url)).RedrivePolicy).toBeUndefined();
  });

  test('an existing queue converges on changed attributes', async () => {
    const first = await createTestResources();
    const options = {
      sqsEndpoint: endpoints.sqs,
      dynamoEndpoint: endpoints.dynamodb,
      service: TEST_SERVICE,
      stage: first.stage,
      files: FIXTURE_FILES,
    };
    await createResources({ ...options, overrides: { DeferredQueue: { VisibilityTimeout: 7 } } });
    expect((await queueAttributes(first.queue('DeferredQueue').url)).VisibilityTimeout).toBe('7');
  });

  test('an unknown logical id fails', async () => {
    await expect(createTestResources({ SendQeue: { VisibilityTimeout: 1 } })).rejects.toThrow(/overrides\.SendQeue: no such resource/);
  });
});

describe('templates the local stack refuses', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'local-stack-template-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function create(yaml: string) {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.yml`);
    await writeFile(file, yaml);
    const run = createResources({
      sqsEndpoint: endpoints.sqs,
      dynamoEndpoint: endpoints.dynamodb,
      service: TEST_SERVICE,
      stage: 'never',
      files: [file],
    });
    return { file, run };
  }

  test('a variable other than ${self:service} and ${sls:stage}, naming the file and key', async () => {
    const { file, run } = await create(`
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: \${self:service}-\${opt:region}-q
`);
    await expect(run).rejects.toThrow(`${file}: Resources.Queue.Properties.QueueName uses \${opt:region}`);
  });

  test('a CloudFormation short-form tag', async () => {
    const { run } = await create(`
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: q
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
`);
    await expect(run).rejects.toThrow(/long-form Fn:: intrinsics only/);
  });

  test('a property it cannot create locally', async () => {
    const { run } = await create(`
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: \${sls:stage}-q
      MadeUpProperty: 1
`);
    await expect(run).rejects.toThrow(/Queue\.MadeUpProperty is not supported locally/);
  });
});
