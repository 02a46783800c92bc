import { describe, expect, it } from 'vitest';
import { audienceChunks, audienceLine } from '../src/feed-audience.ts';
import { type FeedUsage, perThousandRows, projectFeedCost, requestClasses, waitingRequests } from '../src/feed-cost.ts';
import { steadyRate, subtract } from '../src/feed-run.ts';
import { PRICES, type Prices } from '../src/prices.ts';

/** Round prices so the expected figures can be worked out by hand. */
const prices: Prices = {
  ...PRICES,
  sqsStandardPerMillionRequests: 0.4,
  lambdaArmPerGbSecond: 0.00001,
  lambdaPerMillionRequests: 0.2,
  dynamoDbPerMillionWriteUnits: 0.5,
  dynamoDbPerMillionReadUnits: 0.1,
  s3GetPerThousandRequests: 0.0004,
  s3PutPerThousandRequests: 0.005,
};

// 100,000 rows fed in 50 s: everything scales by 10 to a million.
const usage: FeedUsage = {
  rows: 100_000,
  feedSeconds: 50,
  feeder: {
    requests: {
      'sqs.SendMessageBatchCommand': 10_000,
      'dynamodb.UpdateItemCommand': 1_000,
      'dynamodb.GetItemCommand': 100,
      'dynamodb.QueryCommand': 100,
      's3.GetObjectCommand': 100,
      's3.PutObjectCommand': 1,
      's3.DeleteObjectCommand': 3,
      'ssm.GetParameterCommand': 1,
    },
    invocations: 1,
    memoryMb: 512,
  },
  ticker: { requests: { 'dynamodb.QueryCommand': 20, 'dynamodb.UpdateItemCommand': 10 }, ticks: 10, msPerTick: 100, memoryMb: 256 },
  campaignItemBytes: 1_500,
};

const line = (projection: ReturnType<typeof projectFeedCost>, item: string) => projection.lines.find((l) => l.item === item)!.perMillion;

describe('requestClasses', () => {
  it('sorts S3 into GET and PUT classes, leaves deletes and SSM free, and takes names with or without Command', () => {
    expect(
      requestClasses({
        's3.GetObject': 2,
        's3.HeadObjectCommand': 1,
        's3.UploadPartCommand': 3,
        's3.CompleteMultipartUpload': 1,
        's3.DeleteObjectCommand': 5,
        'ssm.GetParameterCommand': 4,
        'dynamodb.PutItem': 1,
        'dynamodb.BatchGetItemCommand': 1,
      }),
    ).toEqual({ sqs: 0, s3Get: 3, s3Put: 4, dynamoWrites: 1, dynamoGetItems: 0, dynamoQueries: 0, other: 1 });
  });
});

describe('projectFeedCost', () => {
  it('prices the measured run: requests scaled to a million rows, the feeder flat out, a tick a minute', () => {
    const measured = projectFeedCost(usage, prices);
    expect(measured.feederSeconds).toBe(500);
    // 100,000 SendMessageBatch per million × $0.40/M
    expect(line(measured, 'SQS requests')).toBeCloseTo(0.04, 10);
    // 1,000 GET × $0.0004/1,000 + 10 PUT × $0.005/1,000
    expect(line(measured, 'S3 requests')).toBeCloseTo(0.0004 + 0.00005, 10);
    // feeder 10,000 writes + ticker 1/tick × 500/60 ticks, × 2 WRU (1,500 bytes) × $0.5/M
    expect(line(measured, 'DynamoDB writes (on-demand)')).toBeCloseTo(((10_000 + 500 / 60) * 2 * 0.5) / 1e6, 10);
    // 1,000 GetItem × 1 RRU + (1,000 + 2 × 500/60) Query × 1 RRU, × $0.1/M
    expect(line(measured, 'DynamoDB reads (on-demand)')).toBeCloseTo(((1_000 + 1_000 + (2 * 500) / 60) * 0.1) / 1e6, 10);
    // feeder 500 s × 0.5 GB + ticker 500/60 ticks × 0.1 s × 0.25 GB
    expect(line(measured, 'Lambda duration (arm64)')).toBeCloseTo((250 + ((500 / 60) * 0.1 * 256) / 1024) * 0.00001, 10);
    // 10 feeder invocations (1 per 100,000 rows) + 500/60 ticks
    expect(line(measured, 'Lambda requests')).toBeCloseTo(((10 + 500 / 60) * 0.2) / 1e6, 10);
  });

  it('paces the feeder at a send rate: it runs rows ÷ rate, with a look and a short cycle per poll', () => {
    const at80 = projectFeedCost(usage, prices, 80);
    expect(at80.ratePerSecond).toBe(80);
    expect(at80.feederSeconds).toBe(12_500);
    // 2,500 polls: one SendMessageBatch more each
    expect(line(at80, 'SQS requests')).toBeCloseTo(((100_000 + 2_500) * 0.4) / 1e6, 10);
    // The feeder's 12,500 s at 512 MB dominate: 6,250 GB-s
    expect(line(at80, 'Lambda duration (arm64)')).toBeCloseTo((6_250 + ((12_500 / 60) * 0.1 * 256) / 1024) * 0.00001, 10);
    // 15 invocations of 870 s at most (more than the 10 the run's size would give)
    expect(line(at80, 'Lambda requests')).toBeCloseTo(((15 + 12_500 / 60) * 0.2) / 1e6, 10);
    expect(at80.total).toBeCloseTo(
      at80.lines.reduce((sum, l) => sum + l.perMillion, 0),
      12,
    );
  });

  it('costs less at a higher rate: the feeder waits less', () => {
    expect(projectFeedCost(usage, prices, 1_000).total).toBeLessThan(projectFeedCost(usage, prices, 80).total);
  });

  it('refuses a run without rows or time', () => {
    expect(() => projectFeedCost({ ...usage, rows: 0 }, prices)).toThrow(RangeError);
    expect(() => projectFeedCost({ ...usage, feedSeconds: 0 }, prices)).toThrow(RangeError);
  });
});

describe('waitingRequests', () => {
  it('adds per 5-s poll a look, a short cycle and a partial batch, and the sharing query per 30 s', () => {
    expect(waitingRequests(300)).toEqual({ dynamoGetItems: 60, dynamoQueries: 70, s3Get: 60, dynamoWrites: 60, sqs: 60 });
  });
});

describe('perThousandRows', () => {
  it('sums commands by service, per 1,000 rows', () => {
    expect(
      perThousandRows({ 'sqs.SendMessageBatchCommand': 200, 'sqs.ReceiveMessageCommand': 10, 's3.GetObjectCommand': 3 }, 2_000),
    ).toEqual({
      sqs: 105,
      s3: 1.5,
    });
  });
});

describe('the audience', () => {
  it('has a header and distinct +49151 numbers, in chunks that end with whole lines', () => {
    const chunks = [...audienceChunks(1_000, 4_096)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true);
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines[0]).toBe('phone,first_name');
    expect(lines).toHaveLength(1_001);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(1_000);
    expect(lines[1]).toBe(audienceLine(0));
    expect(audienceLine(41)).toBe('+4915100000041,Customer 42');
  });
});

describe('run figures', () => {
  it('takes the steady rate between 10 % and 90 % of the audience', () => {
    const samples = [
      { at: 0, rowsRead: 0 },
      { at: 1_000, rowsRead: 100 },
      { at: 5_000, rowsRead: 900 },
      { at: 9_000, rowsRead: 1_000 },
    ];
    expect(steadyRate(samples, 1_000)).toEqual({ steadyRowsPerSecond: 200 });
    expect(steadyRate(samples.slice(0, 2), 1_000)).toEqual({});
  });

  it('subtracts one request count from another, dropping what is left at zero', () => {
    expect(subtract({ 'sqs.A': 5, 'sqs.B': 2 }, { 'sqs.B': 2, 'sqs.C': 1 })).toEqual({ 'sqs.A': 5 });
  });
});
