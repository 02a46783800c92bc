import { describe, expect, it } from 'vitest';
import { lambdaEmfBytes } from '../src/analyze.ts';
import {
  cpuBoundDurationMs,
  lambdaGbSeconds,
  type MeasuredUsage,
  PLATFORM_LOG_BYTES_PER_INVOCATION,
  platformLogBytesPerInvocation,
  projectCost,
} from '../src/cost-model.ts';
import { PRICES, type Prices } from '../src/prices.ts';

/** Round prices so the expected figures can be worked out by hand. */
const prices: Prices = {
  ...PRICES,
  sqsStandardPerMillionRequests: 0.4,
  lambdaArmPerGbSecond: 0.00001,
  lambdaPerMillionRequests: 0.2,
  dynamoDbPerMillionWriteUnits: 0.5,
  dynamoDbPerMillionReadUnits: 0.1,
  httpApiPerMillionRequests: 1,
  functionUrlPerMillionRequests: 0,
  cloudWatchLogsPerGbIngested: 0.5,
  lambdaMbPerVcpu: 1_769,
};

// A run of 1,000 messages: everything scales by 1,000 to a million.
const usage: MeasuredUsage = {
  messages: 1_000,
  sqsRequests: { send: 300, status: 1_000 },
  dynamoDb: { writeUnits: { send: 4_000, status: 6_000 }, readUnits: { send: 50, status: 1_950 } },
  lambda: [
    { name: 'send', memoryMb: 512, invocations: 100, billedMsPerInvocation: 1_000 },
    { name: 'webhook', memoryMb: 256, invocations: 3_000, billedMsPerInvocation: 8 },
  ],
  webhookRequests: 3_000,
  logBytes: 1_073_741.824, // 1 GiB per million messages
};

const line = (projection: ReturnType<typeof projectCost>, item: string) =>
  projection.lines.find((l) => l.item.startsWith(item))!.perMillion;

describe('cost model', () => {
  const projection = projectCost(usage, prices);

  it('prices every component per million messages', () => {
    expect(line(projection, 'SQS')).toBeCloseTo(1.3 * 0.4, 10); // 1.3 requests/message
    expect(line(projection, 'Lambda requests')).toBeCloseTo(3.1 * 0.2, 10); // 3.1 invocations/message
    // send: 100 × 1 s × 0.5 GB = 50 GB-s; webhook: 3,000 × 0.008 s × 0.25 GB = 6 GB-s; ×1,000 = 56,000 GB-s.
    expect(line(projection, 'Lambda duration')).toBeCloseTo(56_000 * 0.00001, 10);
    expect(line(projection, 'DynamoDB writes')).toBeCloseTo(10 * 0.5, 10); // 10 WRU/message
    expect(line(projection, 'DynamoDB reads')).toBeCloseTo(2 * 0.1, 10); // 2 RRU/message
    expect(line(projection, 'CloudWatch Logs')).toBeCloseTo(0.5, 10);
    expect(line(projection, 'Webhook front door')).toBe(0);
    expect(line(projection, 'EventBridge')).toBe(0);
  });

  it('totals the function-URL design and shows the HTTP API alternative at $1 per million webhooks', () => {
    const expected = 0.52 + 0.62 + 0.56 + 5 + 0.2 + 0.5;
    expect(projection.totalWithFunctionUrl).toBeCloseTo(expected, 10);
    expect(projection.totalWithHttpApi).toBeCloseTo(expected + 3, 10);
    expect(projection.prices).toEqual({ region: PRICES.region, date: PRICES.date });
  });

  it('excludes log ingestion, and says so, when the log volume was not measured', () => {
    const { logBytes: _logBytes, ...withoutLogs } = usage;
    const noLogs = projectCost(withoutLogs, prices);
    expect(noLogs.lines.some((l) => l.item.startsWith('CloudWatch'))).toBe(false);
    expect(noLogs.excluded.join(' ')).toMatch(/CloudWatch Logs/);
    expect(noLogs.totalWithFunctionUrl).toBeCloseTo(projection.totalWithFunctionUrl - 0.5, 10);
  });

  it('derives Lambda duration from CPU: a 512 MB function gets 512/1769 of a vCPU, 1,769 MB and more a whole one', () => {
    expect(cpuBoundDurationMs(10, 512, 1_769)).toBeCloseTo((10 * 1_769) / 512, 10);
    expect(cpuBoundDurationMs(10, 1_769, 1_769)).toBe(10);
    expect(cpuBoundDurationMs(10, 4_096, 1_769)).toBe(10);
    expect(lambdaGbSeconds({ name: 'x', memoryMb: 1_024, invocations: 2_000, billedMsPerInvocation: 500 })).toBe(1_000);
  });

  it('refuses a run without messages', () => {
    expect(() => projectCost({ ...usage, messages: 0 }, prices)).toThrow(RangeError);
  });

  it("counts Lambda's START/END/REPORT lines unless the JSON format with system log level WARN leaves them out", () => {
    expect(platformLogBytesPerInvocation({ logFormat: 'JSON', systemLogLevel: 'WARN', applicationLogLevel: 'INFO' })).toBe(0);
    expect(platformLogBytesPerInvocation({ logFormat: 'JSON', systemLogLevel: 'INFO' })).toBe(PLATFORM_LOG_BYTES_PER_INVOCATION);
    expect(platformLogBytesPerInvocation({ logFormat: 'Text' })).toBe(PLATFORM_LOG_BYTES_PER_INVOCATION);
    expect(platformLogBytesPerInvocation(undefined)).toBe(PLATFORM_LOG_BYTES_PER_INVOCATION); // Lambda's default: text, everything
  });

  it('scales the EMF line of send and status to one per invocation, and counts the others as written', () => {
    const emf = { send: { bytes: 2_000, lines: 2 }, status: { bytes: 600, lines: 3 }, webhook: { bytes: 300, lines: 1 } };
    // send: 1,000 B × 10 invocations; status: 200 B × 5; webhook: as written (only on a rejection).
    expect(lambdaEmfBytes(emf, { send: 10, status: 5, webhook: 3_000 })).toBe(10_000 + 1_000 + 300);
  });
});
