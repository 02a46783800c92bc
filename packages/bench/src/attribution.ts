/**
 * Which path an AWS SDK request of the worker belongs to: the send path (producer → send queue →
 * send function and what it writes, and releasing deferred jobs) or the status path (webhook →
 * status queue → status function). Pure; used by worker-instrument.ts inside the worker process.
 *
 * The target describes its own resources and code in {@link AttributionRules}; the order is:
 * - SSM → secrets; queue and table set-up operations → setup;
 * - the first of the target's request rules that matches (service, resource, operation, condition);
 * - else the caller's stack trace, against the target's stack markers in order.
 */

export type Path = 'send' | 'status' | 'sweep' | 'secrets' | 'setup' | 'other';

export interface RequestFacts {
  service: 'sqs' | 'dynamodb' | 'ssm';
  /** Wire operation, e.g. `ReceiveMessage`, `UpdateItem`. */
  operation: string;
  /** Queue name or table name without the target's resource prefix; `multi` for several tables. */
  resource: string;
  input: Record<string, unknown>;
}

/** A request that belongs to `path`: every field given must match (`conditionIncludes`: part of the ConditionExpression). */
export interface RequestRule {
  path: Path;
  service: 'sqs' | 'dynamodb';
  resource: string;
  operation?: string;
  conditionIncludes?: string;
}

/** What the target tells the instrument about its resources and code. Plain data: it reaches the worker as JSON. */
export interface AttributionRules {
  /** Tried in order; the first match decides. Resources are named without the resource prefix. */
  requests: RequestRule[];
  /** For requests no rule decides: substrings of the caller's stack trace, tried in order; none matching is `other`. */
  stackMarkers: Array<{ path: Path; markers: string[] }>;
}

/** The document client's command names → the wire operation they perform. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};

const SQS_SETUP = new Set(['GetQueueAttributes', 'CreateQueue', 'GetQueueUrl', 'SetQueueAttributes']);
const DYNAMODB_SETUP = new Set(['CreateTable', 'DescribeTable', 'UpdateTimeToLive', 'DescribeTimeToLive', 'ListTables']);

/** `UpdateCommand` → `UpdateItem`, `SendMessageBatchCommand` → `SendMessageBatch`. */
export function operationOf(commandName: string): string {
  return DOCUMENT_COMMANDS[commandName] ?? commandName.replace(/Command$/, '');
}

/** DynamoDB operations that write (and so consume write units). */
export const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** The queue's or table's name without `prefix`: `<prefix>jobs` → `jobs`, `http://…/000000000000/<prefix>status` → `status`. */
export function resourceOf(service: string, input: Record<string, unknown>, prefix: string): string {
  const strip = (name: string) => (name.startsWith(prefix) ? name.slice(prefix.length) : name);
  if (service === 'sqs') {
    const url = typeof input.QueueUrl === 'string' ? input.QueueUrl : typeof input.QueueName === 'string' ? input.QueueName : '';
    return strip(url.slice(url.lastIndexOf('/') + 1)) || 'none';
  }
  if (service === 'dynamodb') {
    if (typeof input.TableName === 'string') return strip(input.TableName);
    const items = (input.RequestItems ?? undefined) as Record<string, unknown> | undefined;
    if (items) {
      const tables = Object.keys(items).map(strip);
      return tables.length === 1 ? tables[0]! : 'multi';
    }
    const transact = input.TransactItems as Array<Record<string, Record<string, unknown>>> | undefined;
    if (transact) {
      const tables = new Set(transact.flatMap((item) => Object.values(item).map((op) => strip(String(op.TableName ?? '')))));
      return tables.size === 1 ? [...tables][0]! : 'multi';
    }
  }
  return 'none';
}

function matches(rule: RequestRule, facts: RequestFacts): boolean {
  if (rule.service !== facts.service || rule.resource !== facts.resource) return false;
  if (rule.operation !== undefined && rule.operation !== facts.operation) return false;
  if (rule.conditionIncludes === undefined) return true;
  const condition = facts.input.ConditionExpression;
  return typeof condition === 'string' && condition.includes(rule.conditionIncludes);
}

/** The path decided from the request alone, or undefined when only the caller can tell. */
export function pathOfRequest(facts: RequestFacts, rules: AttributionRules): Path | undefined {
  const { service, operation } = facts;
  if (service === 'ssm') return 'secrets';
  if (service === 'sqs' && SQS_SETUP.has(operation)) return 'setup';
  if (service === 'dynamodb' && DYNAMODB_SETUP.has(operation)) return 'setup';
  const rule = rules.requests.find((candidate) => matches(candidate, facts));
  return rule?.path;
}

/** The path from the caller's stack trace (only used when the request alone cannot tell). */
export function pathOfStack(stack: string, rules: AttributionRules): Path {
  return rules.stackMarkers.find(({ markers }) => markers.some((marker) => stack.includes(marker)))?.path ?? 'other';
}

/** SQS bills each 64 KB chunk of a request's payload as one request. */
export function sqsBillableRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / 65_536));
}

/** Bytes of the message payload a send carries (bodies plus message attributes), for the 64 KB chunk rule. */
export function sqsPayloadBytes(input: Record<string, unknown>): number {
  const messageBytes = (message: Record<string, unknown>) => {
    let bytes = typeof message.MessageBody === 'string' ? Buffer.byteLength(message.MessageBody) : 0;
    const attributes = message.MessageAttributes as Record<string, { DataType?: string; StringValue?: string }> | undefined;
    for (const [name, value] of Object.entries(attributes ?? {})) {
      bytes += Buffer.byteLength(name) + Buffer.byteLength(value.DataType ?? '') + Buffer.byteLength(value.StringValue ?? '');
    }
    return bytes;
  };
  if (Array.isArray(input.Entries))
    return (input.Entries as Array<Record<string, unknown>>).reduce((sum, entry) => sum + messageBytes(entry), 0);
  return messageBytes(input);
}

/** One bucket of the instrument's counts: `<service>.<operation>|<resource>|<path>`. */
export interface RequestBucket {
  service: string;
  operation: string;
  resource: string;
  path: Path;
  /** Requests made (each SDK `send`, as the worker's RequestCounter counts them). */
  requests: number;
  /** Requests billed by SQS (64 KB chunks). */
  billable: number;
  errors: number;
  /** DynamoDB conditional writes refused (AWS still charges them, at least 1 WRU). */
  conditionalFailures: number;
  /** DynamoDB consumed capacity as DynamoDB Local reported it (ReturnConsumedCapacity INDEXES). */
  tableCapacity: number;
  indexCapacity: number;
  /** Items written by batch writes / read by batch gets (for per-item unit counts). */
  items: number;
  /** ReceiveMessage: answers with no message, and messages received. */
  emptyReceives: number;
  messages: number;
  latencyMsTotal: number;
}

/** The key of a bucket in the instrument's counts. */
export function bucketKey(service: string, operation: string, resource: string, path: Path): string {
  return `${service}.${operation}|${resource}|${path}`;
}

/** A bucket with every count at zero. */
export function emptyBucket(service: string, operation: string, resource: string, path: Path): RequestBucket {
  return {
    service,
    operation,
    resource,
    path,
    requests: 0,
    billable: 0,
    errors: 0,
    conditionalFailures: 0,
    tableCapacity: 0,
    indexCapacity: 0,
    items: 0,
    emptyReceives: 0,
    messages: 0,
    latencyMsTotal: 0,
  };
}

/** What the instrument writes when the worker exits. */
export interface InstrumentReport {
  version: 1;
  pid: number;
  startedAt: number;
  writtenAt: number;
  buckets: RequestBucket[];
  /** SDK command names as the worker's RequestCounter keys them (`sqs.ReceiveMessageCommand`), for a cross-check. */
  byCommand: Record<string, number>;
  /** Handler wall time per invocation, by function: from a batch's receive to its delete (SQS functions) or request to response (webhook). */
  invocations: Record<string, { count: number; totalMs: number; samplesMs: number[] }>;
  /** SDK latency samples (ms) by `<service>.<operation>|<resource>`. */
  latencySamples: Record<string, number[]>;
}
