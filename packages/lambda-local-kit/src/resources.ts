import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws.ts';
import { isRecord, loadTemplateResources, mergeProperties, substituteVariables, type TemplateResource } from './template.ts';

/** A queue created from an `AWS::SQS::Queue` resource. */
export interface LocalQueue {
  type: 'queue';
  name: string;
  url: string;
  arn: string;
}

/** A table created from an `AWS::DynamoDB::Table` resource. */
export interface LocalTable {
  type: 'table';
  name: string;
}

/** A created resource; other resource types are not created locally. */
export type LocalResource = LocalQueue | LocalTable;

/** Created resources by CloudFormation logical id. */
export type LocalResources = Record<string, LocalResource>;

/** Options for {@link createResources}. */
export interface CreateResourcesOptions {
  sqsEndpoint: string;
  dynamoEndpoint: string;
  /** Value of `${self:service}`. */
  service: string;
  /** Value of `${sls:stage}`: use a unique one per test file so names never collide. */
  stage: string;
  /**
   * The CloudFormation YAML files to read `Resources` from (absolute, or relative to the working
   * directory): typically the files serverless.yml includes under `resources`.
   */
  files: readonly string[];
  /**
   * Property changes per logical id, deep-merged into the template's `Properties`
   * (`undefined` removes a property), e.g. `{ SendQueue: { VisibilityTimeout: 2, RedrivePolicy: { maxReceiveCount: 2 } } }`.
   */
  overrides?: Record<string, Record<string, unknown>>;
}

/**
 * Creates every SQS queue and DynamoDB table defined in the CloudFormation files that
 * serverless.yml deploys, so local and deployed resources cannot drift. Dead-letter queues are
 * created before the queues whose RedrivePolicy points at them. Other resource types are skipped.
 * Idempotent: an existing queue takes the template's attributes, an existing table with the same
 * keys is kept.
 *
 * @example
 * const resources = await createResources({ sqsEndpoint, dynamoEndpoint, service: 'orders', stage: 't1234', files: ['infra/queues.yml'] });
 * const ordersQueue = queueOf(resources, 'OrdersQueue');
 */
export async function createResources(options: CreateResourcesOptions): Promise<LocalResources> {
  const variables = { service: options.service, stage: options.stage };
  const template = await loadTemplateResources(options.files, variables);
  for (const [logicalId, override] of Object.entries(options.overrides ?? {})) {
    const resource = template.get(logicalId);
    if (!resource) throw new Error(`overrides.${logicalId}: no such resource in ${options.files.join(', ')}`);
    const resolved = substituteVariables(override, variables, 'overrides', logicalId) as Record<string, unknown>;
    resource.properties = mergeProperties(resource.properties, resolved);
  }

  const clientConfig = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
  const sqs = new SQSClient({ ...clientConfig, endpoint: options.sqsEndpoint });
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: options.dynamoEndpoint });
  const created = new Map<string, Promise<LocalResource | undefined>>();

  /** Creates a resource after everything it references; `chain` detects reference cycles. */
  const ensure = (logicalId: string, chain: string[]): Promise<LocalResource | undefined> => {
    if (chain.includes(logicalId)) throw new Error(`Reference cycle: ${[...chain, logicalId].join(' -> ')}`);
    let pending = created.get(logicalId);
    if (!pending) {
      const resource = template.get(logicalId);
      if (!resource) throw new Error(`${chain.at(-1)} references unknown resource ${logicalId}`);
      pending = (async () => {
        const dependencies = referencedIds(resource.properties);
        const resolvedDependencies = new Map<string, LocalResource | undefined>();
        for (const id of dependencies) resolvedDependencies.set(id, await ensure(id, [...chain, logicalId]));
        const properties = resolveIntrinsics(resource, resolvedDependencies);
        if (resource.type === 'AWS::SQS::Queue') return createQueue(sqs, resource, properties);
        if (resource.type === 'AWS::DynamoDB::Table') return createTable(dynamodb, resource, properties);
        return undefined;
      })();
      created.set(logicalId, pending);
    }
    return pending;
  };

  try {
    const results = await Promise.all([...template.keys()].map(async (id) => [id, await ensure(id, [])] as const));
    return Object.fromEntries(results.filter((entry): entry is readonly [string, LocalResource] => entry[1] !== undefined));
  } finally {
    sqs.destroy();
    dynamodb.destroy();
  }
}

/** The queue with this logical id; throws if it is missing or not a queue. */
export function queueOf(resources: LocalResources, logicalId: string): LocalQueue {
  const resource = resources[logicalId];
  if (resource?.type !== 'queue') throw new Error(`${logicalId} is not a queue in the created resources`);
  return resource;
}

/** The table with this logical id; throws if it is missing or not a table. */
export function tableOf(resources: LocalResources, logicalId: string): LocalTable {
  const resource = resources[logicalId];
  if (resource?.type !== 'table') throw new Error(`${logicalId} is not a table in the created resources`);
  return resource;
}

// ---- Intrinsic functions -------------------------------------------------------------------

function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (!isRecord(value)) return [];
  if (typeof value.Ref === 'string') return [value.Ref];
  const getAtt = value['Fn::GetAtt'];
  if (getAtt !== undefined) return [parseGetAtt(getAtt)[0]];
  return Object.values(value).flatMap(referencedIds);
}

function parseGetAtt(value: unknown): [string, string] {
  const parts: unknown = typeof value === 'string' ? value.split('.') : value;
  if (Array.isArray(parts) && parts.length === 2) {
    const [logicalId, attribute] = parts as unknown[];
    if (typeof logicalId === 'string' && typeof attribute === 'string') return [logicalId, attribute];
  }
  throw new Error(`Fn::GetAtt must be [LogicalId, Attribute], got ${JSON.stringify(value)}`);
}

/** Replaces `Ref` and `Fn::GetAtt` with local values; any other intrinsic is an error. */
function resolveIntrinsics(resource: TemplateResource, resolved: Map<string, LocalResource | undefined>): Record<string, unknown> {
  const where = `${resource.file}: ${resource.logicalId}`;
  const lookup = (id: string): LocalResource => {
    const target = resolved.get(id);
    if (!target) throw new Error(`${where} references ${id}, which the local stack does not create`);
    return target;
  };
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (!isRecord(value)) return value;
    if (typeof value.Ref === 'string') {
      const target = lookup(value.Ref);
      return target.type === 'queue' ? target.url : target.name;
    }
    if (value['Fn::GetAtt'] !== undefined) {
      const [id, attribute] = parseGetAtt(value['Fn::GetAtt']);
      const target = lookup(id);
      if (target.type === 'queue' && attribute === 'Arn') return target.arn;
      if (target.type === 'queue' && attribute === 'QueueName') return target.name;
      if (target.type === 'queue' && attribute === 'QueueUrl') return target.url;
      throw new Error(`${where}: Fn::GetAtt ${id}.${attribute} is not supported locally`);
    }
    const unsupported = Object.keys(value).find((key) => key.startsWith('Fn::'));
    if (unsupported) throw new Error(`${where}: ${unsupported} is not supported locally`);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
  };
  return visit(resource.properties) as Record<string, unknown>;
}

// ---- Queues --------------------------------------------------------------------------------

const asString = (value: unknown) => String(value);
const asJson = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** CloudFormation queue properties that map onto SQS queue attributes. */
const QUEUE_ATTRIBUTES: Record<string, (value: unknown) => string> = {
  VisibilityTimeout: asString,
  MessageRetentionPeriod: asString,
  DelaySeconds: asString,
  ReceiveMessageWaitTimeSeconds: asString,
  MaximumMessageSize: asString,
  RedrivePolicy: asJson,
  RedriveAllowPolicy: asJson,
  FifoQueue: asString,
  ContentBasedDeduplication: asString,
  DeduplicationScope: asString,
  FifoThroughputLimit: asString,
};

/** Properties with no local meaning (encryption, tags). Anything else unknown is an error, not silently dropped. */
const QUEUE_PROPERTIES_IGNORED = new Set(['QueueName', 'KmsMasterKeyId', 'KmsDataKeyReusePeriodSeconds', 'SqsManagedSseEnabled', 'Tags']);

async function createQueue(sqs: SQSClient, resource: TemplateResource, properties: Record<string, unknown>): Promise<LocalQueue> {
  const name = properties.QueueName;
  if (typeof name !== 'string') throw new Error(`${resource.file}: ${resource.logicalId} needs a literal QueueName locally`);
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(properties)) {
    const toAttribute = QUEUE_ATTRIBUTES[key];
    if (toAttribute) attributes[key] = toAttribute(value);
    else if (!QUEUE_PROPERTIES_IGNORED.has(key)) throw new Error(`${resource.file}: ${resource.logicalId}.${key} is not supported locally`);
  }

  let url: string | undefined;
  try {
    url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
  } catch (error) {
    // Same name, different attributes (an earlier run with other overrides): converge on these.
    // The SDK names this error after the legacy query code when the server sends one (fauxqs does).
    if (!(error instanceof QueueNameExists) && !/Queue(Name|Already)Exists$/.test((error as Error).name)) throw error;
    url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    const { FifoQueue: _immutable, ...settable } = attributes;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: settable }));
  }
  if (!url) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes ${name} returned no QueueArn`);
  return { type: 'queue', name, url, arn };
}

// ---- Tables --------------------------------------------------------------------------------

/** Properties with no local meaning (backups, encryption, tags, capacity tuning). */
const TABLE_PROPERTIES_IGNORED = new Set([
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'Tags',
  'DeletionProtectionEnabled',
  'TableClass',
  'ContributorInsightsSpecification',
  'KinesisStreamSpecification',
  'ResourcePolicy',
  'OnDemandThroughput',
  'WarmThroughput',
]);
const TABLE_PROPERTIES_USED = new Set([
  'TableName',
  'KeySchema',
  'AttributeDefinitions',
  'BillingMode',
  'ProvisionedThroughput',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'StreamSpecification',
  'TimeToLiveSpecification',
]);

async function createTable(dynamodb: DynamoDBClient, resource: TemplateResource, properties: Record<string, unknown>): Promise<LocalTable> {
  const where = `${resource.file}: ${resource.logicalId}`;
  const name = properties.TableName;
  if (typeof name !== 'string') throw new Error(`${where} needs a literal TableName locally`);
  for (const key of Object.keys(properties)) {
    if (!TABLE_PROPERTIES_USED.has(key) && !TABLE_PROPERTIES_IGNORED.has(key)) throw new Error(`${where}.${key} is not supported locally`);
  }

  // CloudFormation and the DynamoDB API share these shapes; DynamoDB Local validates them.
  const input = {
    TableName: name,
    KeySchema: properties.KeySchema,
    AttributeDefinitions: properties.AttributeDefinitions,
    BillingMode: properties.BillingMode ?? 'PROVISIONED',
    ProvisionedThroughput: properties.ProvisionedThroughput,
    GlobalSecondaryIndexes: indexes(properties.GlobalSecondaryIndexes),
    LocalSecondaryIndexes: indexes(properties.LocalSecondaryIndexes),
    StreamSpecification: isRecord(properties.StreamSpecification) ? { StreamEnabled: true, ...properties.StreamSpecification } : undefined,
  } as CreateTableCommandInput;

  try {
    await dynamodb.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceInUseException') throw error;
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
    if (JSON.stringify(Table?.KeySchema) !== JSON.stringify(input.KeySchema)) {
      throw new Error(`${where}: table ${name} already exists with another key schema; use a new stage or restart DynamoDB Local`);
    }
  }

  const ttl = properties.TimeToLiveSpecification;
  if (isRecord(ttl) && ttl.Enabled === true && typeof ttl.AttributeName === 'string') {
    const { TimeToLiveDescription } = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: name }));
    // Enabling TTL twice is a ValidationException, so only enable it when it is off.
    if (TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED' && TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLING') {
      await dynamodb.send(
        new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true } }),
      );
    }
  }
  return { type: 'table', name };
}

/** Keeps the index fields the API accepts; CloudFormation-only ones (ContributorInsightsSpecification…) are dropped. */
function indexes(value: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter(isRecord).map(({ IndexName, KeySchema, Projection, ProvisionedThroughput }) => ({
    IndexName,
    KeySchema,
    Projection,
    ...(ProvisionedThroughput === undefined ? {} : { ProvisionedThroughput }),
  }));
}
