/**
 * Which path an AWS SDK request of the worker belongs to: the send path (producer → send queue →
 * send function → jobs/users/control/campaigns, and the release function) or the status path
 * (webhook function → status queue → status function). Pure; used by bench/worker-instrument.ts
 * inside the worker process and unit-testable on its own.
 *
 * The rules, in order:
 * - SQS: by queue (the QueueUrl's last segment): send, send-dlq, deferred, deferred-dlq → send;
 *   status, status-dlq → status.
 * - DynamoDB control table (pacing slots, breakers) → send.
 * - DynamoDB jobs table: the claim (`attribute_not_exists(recipient)`), the outcome write
 *   (conditional on `:sending`) and the wa_id alias (the one PutItem) → send; every other jobs
 *   request (the recipient query, consistent get, webhook updates) → status, except the sweep's
 *   (by the caller's stack, below).
 * - DynamoDB users BatchGetItem (the send batch's pre-send lookup) → send.
 * - Anything else (campaign counters, users updates, which both paths make) is decided by the
 *   caller's stack (`/lib/send/`, `/lib/release/` → send; `/lib/status/`, `/lib/webhook/` → status).
 * - SSM → secrets (cached; a handful per run).
 */

export type Path = 'send' | 'status' | 'sweep' | 'secrets' | 'setup' | 'other';

export interface RequestFacts {
  service: 'sqs' | 'dynamodb' | 'ssm';
  /** Wire operation, e.g. `ReceiveMessage`, `UpdateItem`. */
  operation: string;
  /** Queue name or table name without the `<service>-<stage>-` prefix; `multi` for several tables. */
  resource: string;
  input: Record<string, unknown>;
}

const SEND_QUEUES = new Set(['send', 'send-dlq', 'deferred', 'deferred-dlq']);
const STATUS_QUEUES = new Set(['status', 'status-dlq']);

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

export function operationOf(commandName: string): string {
  return DOCUMENT_COMMANDS[commandName] ?? commandName.replace(/Command$/, '');
}

export const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/** The jobs table's name without the `<service>-<stage>-` prefix (infra/tables.yml). */
export const JOBS_TABLE = 'recipient-jobs';

/** `wa-marketing-sender-bench-recipient-jobs` → `recipient-jobs`, `http://…/000000000000/wa-marketing-sender-bench-status` → `status`. */
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

/** The path decided from the request alone, or undefined when only the caller can tell. */
export function pathOfRequest(facts: RequestFacts): Path | undefined {
  const { service, operation, resource, input } = facts;
  if (service === 'ssm') return 'secrets';
  if (service === 'sqs') {
    if (['GetQueueAttributes', 'CreateQueue', 'GetQueueUrl', 'SetQueueAttributes'].includes(operation)) return 'setup';
    if (SEND_QUEUES.has(resource)) return 'send';
    if (STATUS_QUEUES.has(resource)) return 'status';
    return undefined;
  }
  if (['CreateTable', 'DescribeTable', 'UpdateTimeToLive', 'DescribeTimeToLive', 'ListTables'].includes(operation)) return 'setup';
  if (resource === 'control') return 'send';
  if (resource === JOBS_TABLE) {
    const condition = typeof input.ConditionExpression === 'string' ? input.ConditionExpression : '';
    if (operation === 'UpdateItem' && (condition.includes('attribute_not_exists(recipient)') || condition.includes(':sending'))) return 'send';
    if (operation === 'PutItem') return 'send';
    return undefined;
  }
  if (resource === 'users' && operation === 'BatchGetItem') return 'send';
  return undefined;
}

/** The path from the caller's stack trace (only used when the request alone cannot tell). */
export function pathOfStack(stack: string): Path {
  if (stack.includes('/lib/send/') || stack.includes('/lib/release/') || stack.includes('/functions/send') || stack.includes('/functions/release')) return 'send';
  if (stack.includes('/lib/status/sweep') || stack.includes('/functions/sweep')) return 'sweep';
  if (stack.includes('/lib/status/') || stack.includes('/lib/webhook/') || stack.includes('/functions/status') || stack.includes('/functions/webhook')) return 'status';
  return 'other';
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
  if (Array.isArray(input.Entries)) return (input.Entries as Array<Record<string, unknown>>).reduce((sum, entry) => sum + messageBytes(entry), 0);
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

export function bucketKey(service: string, operation: string, resource: string, path: Path): string {
  return `${service}.${operation}|${resource}|${path}`;
}

export function emptyBucket(service: string, operation: string, resource: string, path: Path): RequestBucket {
  return { service, operation, resource, path, requests: 0, billable: 0, errors: 0, conditionalFailures: 0, tableCapacity: 0, indexCapacity: 0, items: 0, emptyReceives: 0, messages: 0, latencyMsTotal: 0 };
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
