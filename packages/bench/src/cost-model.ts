/**
 * Projected AWS cost per million messages from what a benchmark run measured. Pure: no I/O, so
 * it can be unit-tested and re-run on a results file with other prices.
 *
 * What counts as what:
 * - SQS: every billed request of both paths (64 KB chunks already counted by the caller): the
 *   producer's SendMessageBatch, the event sources' receives and deletes, re-dispatches, the
 *   webhook function's SendMessageBatch and the status queue's receives and deletes.
 * - Lambda: one request per invocation; GB-seconds = billed duration × configured memory.
 *   The caller picks the billed duration per invocation (see {@link cpuBoundDurationMs}).
 * - DynamoDB on-demand: write and read request units, GSI writes included.
 * - Webhook front door: a Lambda function URL (no charge on top of the invocation) or, as the
 *   alternative, API Gateway's HTTP API (per request).
 * - CloudWatch Logs: bytes ingested, when the run measured them.
 * - EventBridge: the sweep's schedule, a fixed 2,880 invocations a month whatever the volume.
 */
import type { Prices } from './prices.ts';

export interface LambdaUsage {
  name: string;
  memoryMb: number;
  invocations: number;
  /** Billed duration of one invocation, ms. */
  billedMsPerInvocation: number;
}

export interface MeasuredUsage {
  /** Messages the run sent (accepted by the MM API): everything below is per these. */
  messages: number;
  /** Billed SQS requests (64 KB chunks counted), by path. */
  sqsRequests: { send: number; status: number };
  /** DynamoDB request units, by path; GSI writes included in the write units. */
  dynamoDb: { writeUnits: { send: number; status: number }; readUnits: { send: number; status: number } };
  lambda: LambdaUsage[];
  /** HTTP requests to the webhook endpoint (Meta's POSTs, retries included). */
  webhookRequests: number;
  /** Log bytes ingested into CloudWatch Logs; undefined when not measured (then excluded). */
  logBytes?: number;
}

export interface CostLine {
  item: string;
  /** USD per million messages. */
  perMillion: number;
  detail: string;
}

export interface CostProjection {
  prices: { region: string; date: string };
  lines: CostLine[];
  /** The deployed design: webhooks through a Lambda function URL. */
  totalWithFunctionUrl: number;
  /** The same with API Gateway's HTTP API as the webhook front door. */
  totalWithHttpApi: number;
  excluded: string[];
}

const MILLION = 1_000_000;

/** Bytes of Lambda's own START, END and REPORT lines per invocation (text format, typical lengths). */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 270;

/** A function's Lambda logging settings (serverless.yml `provider.logs.lambda` or the function's `logs`). */
export interface LambdaLogging {
  logFormat?: 'JSON' | 'Text';
  systemLogLevel?: 'DEBUG' | 'INFO' | 'WARN';
  applicationLogLevel?: string;
}

/**
 * Bytes of Lambda's platform lines per invocation. START/END/REPORT are INFO-level system logs:
 * with the JSON format and a system log level of WARN Lambda does not write them. The JSON
 * versions at INFO are longer than the text ones; the text length is used as a floor.
 */
export function platformLogBytesPerInvocation(logging: LambdaLogging | undefined): number {
  const filtered = logging?.logFormat === 'JSON' && logging.systemLogLevel === 'WARN';
  return filtered ? 0 : PLATFORM_LOG_BYTES_PER_INVOCATION;
}

/**
 * Billed duration of CPU-bound work on Lambda: below `mbPerVcpu` (1,769 MB) a function gets a
 * share of one vCPU proportional to its memory, so `cpuMs` of work on a full core takes
 * cpuMs × mbPerVcpu / memoryMb. Assumes a Graviton core does the work as fast as the benchmark
 * machine's core and ignores waiting on I/O (a lower bound for an I/O-bound function).
 */
export function cpuBoundDurationMs(cpuMs: number, memoryMb: number, mbPerVcpu: number): number {
  return cpuMs * Math.max(1, mbPerVcpu / memoryMb);
}

export function lambdaGbSeconds(usage: LambdaUsage): number {
  return (usage.invocations * usage.billedMsPerInvocation * usage.memoryMb) / 1000 / 1024;
}

export function projectCost(usage: MeasuredUsage, prices: Prices): CostProjection {
  if (!(usage.messages > 0)) throw new RangeError('messages must be positive');
  const scale = MILLION / usage.messages;
  const perMillion = (units: number, pricePerMillionUnits: number) => (units * scale * pricePerMillionUnits) / MILLION;
  const fmt = (n: number, digits = 2) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
  const lines: CostLine[] = [];

  const sqsTotal = usage.sqsRequests.send + usage.sqsRequests.status;
  lines.push({
    item: 'SQS requests',
    perMillion: perMillion(sqsTotal, prices.sqsStandardPerMillionRequests),
    detail: `${fmt(sqsTotal / usage.messages, 3)} requests/message (send path ${fmt(usage.sqsRequests.send / usage.messages, 3)}, status path ${fmt(usage.sqsRequests.status / usage.messages, 3)}) × $${prices.sqsStandardPerMillionRequests}/M`,
  });

  const invocations = usage.lambda.reduce((sum, f) => sum + f.invocations, 0);
  lines.push({
    item: 'Lambda requests',
    perMillion: perMillion(invocations, prices.lambdaPerMillionRequests),
    detail: `${fmt(invocations / usage.messages, 3)} invocations/message (${usage.lambda.map((f) => `${f.name} ${fmt(f.invocations / usage.messages, 3)}`).join(', ')}) × $${prices.lambdaPerMillionRequests}/M`,
  });

  const gbSeconds = usage.lambda.reduce((sum, f) => sum + lambdaGbSeconds(f), 0);
  lines.push({
    item: 'Lambda duration (arm64)',
    perMillion: gbSeconds * scale * prices.lambdaArmPerGbSecond,
    detail: `${fmt(gbSeconds * scale, 0)} GB-s per million (${usage.lambda.map((f) => `${f.name} ${f.memoryMb} MB × ${fmt(f.billedMsPerInvocation, 1)} ms`).join(', ')}) × $${prices.lambdaArmPerGbSecond}/GB-s`,
  });

  const { writeUnits, readUnits } = usage.dynamoDb;
  const wru = writeUnits.send + writeUnits.status;
  const rru = readUnits.send + readUnits.status;
  lines.push({
    item: 'DynamoDB writes (on-demand)',
    perMillion: perMillion(wru, prices.dynamoDbPerMillionWriteUnits),
    detail: `${fmt(wru / usage.messages, 3)} WRU/message incl. GSI (send path ${fmt(writeUnits.send / usage.messages, 3)}, status path ${fmt(writeUnits.status / usage.messages, 3)}) × $${prices.dynamoDbPerMillionWriteUnits}/M`,
  });
  lines.push({
    item: 'DynamoDB reads (on-demand)',
    perMillion: perMillion(rru, prices.dynamoDbPerMillionReadUnits),
    detail: `${fmt(rru / usage.messages, 3)} RRU/message (send path ${fmt(readUnits.send / usage.messages, 3)}, status path ${fmt(readUnits.status / usage.messages, 3)}) × $${prices.dynamoDbPerMillionReadUnits}/M`,
  });

  const functionUrl = perMillion(usage.webhookRequests, prices.functionUrlPerMillionRequests);
  const httpApi = perMillion(usage.webhookRequests, prices.httpApiPerMillionRequests);
  lines.push({
    item: 'Webhook front door: Lambda function URL',
    perMillion: functionUrl,
    detail: `${fmt(usage.webhookRequests / usage.messages, 3)} webhooks/message; no charge beyond the webhook invocations above`,
  });

  const excluded: string[] = [];
  if (usage.logBytes !== undefined) {
    const gb = (usage.logBytes * scale) / 1024 ** 3;
    lines.push({
      item: 'CloudWatch Logs ingestion',
      perMillion: gb * prices.cloudWatchLogsPerGbIngested,
      detail: `${fmt(usage.logBytes / usage.messages, 1)} bytes/message → ${fmt(gb, 3)} GB per million × $${prices.cloudWatchLogsPerGbIngested}/GB`,
    });
  } else {
    excluded.push('CloudWatch Logs ingestion (log volume not measured)');
  }
  lines.push({
    item: 'EventBridge schedule (sweep)',
    perMillion: 0,
    detail: `fixed: 2,880 invocations/month ≈ $${fmt((2_880 * prices.eventBridgeSchedulerPerMillionInvocations) / MILLION, 4)}/month whatever the volume (negligible)`,
  });
  excluded.push(
    'storage (DynamoDB items expire by TTL; SQS messages are deleted), data transfer, CloudWatch alarms and custom-metric charges (fixed per month), the free tier',
  );

  const totalWithFunctionUrl = lines.reduce((sum, line) => sum + line.perMillion, 0);
  return {
    prices: { region: prices.region, date: prices.date },
    lines,
    totalWithFunctionUrl,
    totalWithHttpApi: totalWithFunctionUrl - functionUrl + httpApi,
    excluded,
  };
}
