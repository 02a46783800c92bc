/**
 * Projected AWS cost of feeding a million audience rows, from what a feed run counted. Pure: no
 * I/O, so it is unit-tested and re-run with other prices.
 *
 * The measured run is unthrottled (nothing is sent, so the feeder never waits). On AWS the feeder
 * is paced by the send rate: it keeps a few minutes of sending queued, looks again every poll
 * (5 s) and holds its lease meanwhile, so it runs for about rows ÷ rate, and Lambda bills that
 * wait. The projection at a rate therefore takes:
 * - the run's requests per row as they are (jobs batched by 10, a checkpoint per 100 rows, a
 *   ranged GET per cycle of at most 1,000 rows): the same rows make the same batches;
 * - per poll on top, as an upper bound: one look at the campaign (GetItem) and its counters
 *   (Query), one more short cycle (a ranged S3 GET, a partial checkpoint, a partial batch);
 * - per 30 s the number's sharing (a Query of the open campaigns);
 * - the feeder's Lambda duration rows ÷ rate at its memory, in invocations of its deadline;
 * - the ticker's invocations in that time (one a minute), each with the requests and the wall
 *   time a tick had in the run.
 *
 * Request units are estimated from the campaign item's size, since every write of the feeder and
 * the ticker is to that item: a write costs ⌈bytes ÷ 1 KB⌉ WRU (the feed state is no index key,
 * so no index write), a strongly consistent GetItem ⌈bytes ÷ 4 KB⌉ RRU, a Query 1 RRU (the ten
 * counter items together are under 4 KB; the open-campaigns index holds keys and statuses).
 */
import type { CostLine } from './cost-model.ts';
import type { Prices } from './prices.ts';

const MILLION = 1_000_000;
/** The feeder looks again this often when nothing may be enqueued (lib's DEFAULT_POLL_MS). */
export const FEED_POLL_SECONDS = 5;
/** The feeder reuses the number's sharing this long. */
export const SHARING_CACHE_SECONDS = 30;
/** EventBridge runs the ticker every minute. */
export const TICK_SECONDS = 60;
/** A feeder invocation feeds until 30 s before Lambda's 15 minutes, then the next one resumes. */
export const FEEDER_INVOCATION_SECONDS = 870;

/** What a feed run counted. */
export interface FeedUsage {
  rows: number;
  /** Seconds from the launch to the whole audience read. */
  feedSeconds: number;
  /** The feeder's own requests (`service.Command`), plus its event source's on the feed queue. */
  feeder: { requests: Record<string, number>; invocations: number; memoryMb: number };
  /** The ticker's requests while the run lasted, its ticks and their wall time. */
  ticker: { requests: Record<string, number>; ticks: number; msPerTick: number; memoryMb: number };
  campaignItemBytes: number;
}

/** Requests by billing class. */
export interface RequestClasses {
  sqs: number;
  s3Get: number;
  s3Put: number;
  dynamoWrites: number;
  dynamoGetItems: number;
  dynamoQueries: number;
  other: number;
}

export interface FeedProjection {
  /** The send rate it is projected at; undefined: as measured (the feeder never waited). */
  ratePerSecond?: number;
  /** Seconds the feeder runs per million rows. */
  feederSeconds: number;
  lines: CostLine[];
  total: number;
}

const S3_GET = new Set(['GetObject', 'HeadObject', 'GetObjectAttributes']);
const S3_PUT = new Set([
  'PutObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'CopyObject',
  'ListObjectsV2',
  'ListObjects',
]);
const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);
const DYNAMO_WRITES = new Set(['UpdateItem', 'PutItem', 'DeleteItem']);

/** Sorts `service.Command` counts (the SDK's command names, with or without `Command`) into billing classes. */
export function requestClasses(requests: Record<string, number>): RequestClasses {
  const classes: RequestClasses = { sqs: 0, s3Get: 0, s3Put: 0, dynamoWrites: 0, dynamoGetItems: 0, dynamoQueries: 0, other: 0 };
  for (const [key, count] of Object.entries(requests)) {
    const [service, raw = ''] = key.split('.');
    const command = raw.replace(/Command$/, '');
    if (service === 'sqs') classes.sqs += count;
    else if (service === 's3') {
      if (S3_GET.has(command)) classes.s3Get += count;
      else if (S3_PUT.has(command)) classes.s3Put += count;
      else if (!S3_FREE.has(command)) classes.other += count;
    } else if (service === 'dynamodb') {
      if (DYNAMO_WRITES.has(command)) classes.dynamoWrites += count;
      else if (command === 'GetItem') classes.dynamoGetItems += count;
      else if (command === 'Query') classes.dynamoQueries += count;
      else classes.other += count;
    }
    // SSM: standard parameters, no charge per request.
  }
  return classes;
}

/** `classes` × `factor`, field by field. */
function scaled(classes: RequestClasses, factor: number): RequestClasses {
  return Object.fromEntries(Object.entries(classes).map(([name, value]) => [name, value * factor])) as unknown as RequestClasses;
}

function added(a: RequestClasses, b: Partial<RequestClasses>): RequestClasses {
  return Object.fromEntries(
    Object.entries(a).map(([name, value]) => [name, value + (b[name as keyof RequestClasses] ?? 0)]),
  ) as unknown as RequestClasses;
}

/** What the waiting adds per million rows at `ratePerSecond`: see the file's comment. */
export function waitingRequests(feederSeconds: number): Partial<RequestClasses> {
  const polls = feederSeconds / FEED_POLL_SECONDS;
  return {
    dynamoGetItems: polls,
    dynamoQueries: polls + feederSeconds / SHARING_CACHE_SECONDS,
    s3Get: polls,
    dynamoWrites: polls,
    sqs: polls,
  };
}

/**
 * The cost per million rows: as measured (`ratePerSecond` undefined: the feeder ran flat out and the
 * ticker ticked once a minute meanwhile), or at a send rate that paces the feeder.
 */
export function projectFeedCost(usage: FeedUsage, prices: Prices, ratePerSecond?: number): FeedProjection {
  if (!(usage.rows > 0) || !(usage.feedSeconds > 0)) throw new RangeError('rows and feedSeconds must be positive');
  const scale = MILLION / usage.rows;
  const feederSeconds = ratePerSecond === undefined ? usage.feedSeconds * scale : MILLION / ratePerSecond;
  const measuredFeeder = scaled(requestClasses(usage.feeder.requests), scale);
  const feeder = ratePerSecond === undefined ? measuredFeeder : added(measuredFeeder, waitingRequests(feederSeconds));
  const ticks = feederSeconds / TICK_SECONDS;
  const perTick = usage.ticker.ticks > 0 ? 1 / usage.ticker.ticks : 0;
  const ticker = scaled(requestClasses(usage.ticker.requests), perTick * ticks);
  const all = added(feeder, ticker);
  const wru = Math.ceil(usage.campaignItemBytes / 1024);
  const rruPerGet = Math.ceil(usage.campaignItemBytes / 4096);
  const feederInvocations = Math.max(usage.feeder.invocations * scale, Math.ceil(feederSeconds / FEEDER_INVOCATION_SECONDS));
  const feederGbSeconds = (feederSeconds * usage.feeder.memoryMb) / 1024;
  const tickerGbSeconds = (ticks * usage.ticker.msPerTick * usage.ticker.memoryMb) / 1000 / 1024;
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
  const lines: CostLine[] = [
    {
      item: 'SQS requests',
      perMillion: (all.sqs * prices.sqsStandardPerMillionRequests) / MILLION,
      detail: `${fmt(all.sqs)} requests (jobs in batches of 10, under 64 KB each; the feed queue's) × $${prices.sqsStandardPerMillionRequests}/M`,
    },
    {
      item: 'S3 requests',
      perMillion: (all.s3Get * prices.s3GetPerThousandRequests + all.s3Put * prices.s3PutPerThousandRequests) / 1000,
      detail: `${fmt(all.s3Get)} GET × $${prices.s3GetPerThousandRequests}/1,000, ${fmt(all.s3Put)} PUT × $${prices.s3PutPerThousandRequests}/1,000`,
    },
    {
      item: 'DynamoDB writes (on-demand)',
      perMillion: (all.dynamoWrites * wru * prices.dynamoDbPerMillionWriteUnits) / MILLION,
      detail: `${fmt(all.dynamoWrites)} writes × ${wru} WRU (a ${fmt(usage.campaignItemBytes)}-byte campaign item) × $${prices.dynamoDbPerMillionWriteUnits}/M`,
    },
    {
      item: 'DynamoDB reads (on-demand)',
      perMillion: ((all.dynamoGetItems * rruPerGet + all.dynamoQueries) * prices.dynamoDbPerMillionReadUnits) / MILLION,
      detail: `${fmt(all.dynamoGetItems)} GetItem × ${rruPerGet} RRU + ${fmt(all.dynamoQueries)} Query × 1 RRU × $${prices.dynamoDbPerMillionReadUnits}/M`,
    },
    {
      item: 'Lambda requests',
      perMillion: ((feederInvocations + ticks) * prices.lambdaPerMillionRequests) / MILLION,
      detail: `feeder ${fmt(feederInvocations)}, ticker ${fmt(ticks)} invocations × $${prices.lambdaPerMillionRequests}/M`,
    },
    {
      item: 'Lambda duration (arm64)',
      perMillion: (feederGbSeconds + tickerGbSeconds) * prices.lambdaArmPerGbSecond,
      detail: `feeder ${fmt(feederSeconds)} s × ${usage.feeder.memoryMb} MB = ${fmt(feederGbSeconds)} GB-s; ticker ${fmt(ticks)} × ${fmt(usage.ticker.msPerTick)} ms × ${usage.ticker.memoryMb} MB = ${fmt(tickerGbSeconds, 1)} GB-s; × $${prices.lambdaArmPerGbSecond}/GB-s`,
    },
  ];
  return {
    ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
    feederSeconds,
    lines,
    total: lines.reduce((sum, line) => sum + line.perMillion, 0),
  };
}

/** Requests per 1,000 rows by service (`sqs`, `dynamodb`, `s3`, `ssm`), from `service.Command` counts. */
export function perThousandRows(requests: Record<string, number>, rows: number): Record<string, number> {
  const byService: Record<string, number> = {};
  for (const [key, count] of Object.entries(requests)) {
    const service = key.split('.')[0]!;
    byService[service] = (byService[service] ?? 0) + (count * 1000) / rows;
  }
  return byService;
}
