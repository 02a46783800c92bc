import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  afterRefusal,
  afterThrottle,
  appendWindow,
  BATCH_SECONDS,
  blockTimes,
  effectiveRate,
  MIN_PACE_FACTOR,
  maxConcurrencyFor,
  PACE_HORIZON_MS,
  PACE_RECOVERY_PER_SECOND,
  paceFactor,
  reachableCount,
  sendBatchSizeFor,
  sendIntervalMicros,
  THROTTLE_BACKOFF,
  THROTTLE_REACTION_GAP_MS,
  TURNAROUND_SECONDS,
} from '../../../lib/domain/pacing.ts';

describe('pacing', () => {
  const at = (ms: number) => ms * 1000;
  const request = (count: number, earliestMs: number, latestMs: number, rate = 80) => ({
    count,
    intervalMicros: sendIntervalMicros(rate),
    earliestMicros: at(earliestMs),
    latestMicros: at(latestMs),
  });

  it('spaces sends one interval apart, rounded so the pace never exceeds the rate', () => {
    expect(sendIntervalMicros(80)).toBe(12_500);
    expect(sendIntervalMicros(77)).toBe(12_988);
    expect(sendIntervalMicros(970)).toBe(1_031);
    expect(blockTimes(at(1_000), 3, 12_500)).toEqual([1_000, 1_012.5, 1_025]);
  });

  it('appends a block only where it starts no earlier than now and its last send starts before the deadline', () => {
    expect(appendWindow(request(10, 1_000, 6_000))).toEqual({ from: at(1_000), to: at(6_000) - 9 * 12_500 });
    expect(appendWindow(request(1, 1_000, 6_000))).toEqual({ from: at(1_000), to: at(6_000) });
  });

  it('asks for no more sends than can start before the deadline, so the append window never ends before it starts', () => {
    // 100 sends at 4/s span 24.75 s; 10 s hold 41 of them (0 s, 0.25 s … 10 s).
    expect(reachableCount(request(100, 1_000, 11_000, 4))).toBe(41);
    const reachable = { ...request(100, 1_000, 11_000, 4), count: 41 };
    expect(appendWindow(reachable)).toEqual({ from: at(1_000), to: at(1_000) });
    expect(reachableCount(request(10, 1_000, 6_000))).toBe(10);
    expect(reachableCount(request(10, 1_000, 999))).toBe(0);
  });

  it('restarts an idle number at the earliest time', () => {
    expect(afterRefusal(undefined, request(10, 1_000, 6_000))).toEqual({ kind: 'restart', startMicros: at(1_000) });
    expect(afterRefusal(at(400), request(10, 1_000, 6_000))).toEqual({ kind: 'restart', startMicros: at(1_000) });
  });

  it('asks for fewer sends when only some fit before the deadline, and for none when none does', () => {
    // Next free at 5.95 s, deadline 6 s, 12.5 ms apart: 5.95, 5.9625, 5.975, 5.9875, 6.0 → 5 fit.
    expect(afterRefusal(at(5_950), request(10, 1_000, 6_000))).toEqual({ kind: 'fewer', count: 5 });
    expect(afterRefusal(at(6_001), request(10, 1_000, 6_000))).toEqual({ kind: 'none' });
    expect(afterRefusal(at(999), request(10, 1_000, 1_030))).toEqual({ kind: 'fewer', count: 3 });
    expect(afterRefusal(undefined, request(10, 1_000, 999))).toEqual({ kind: 'none' });
  });

  it('starts afresh from a next free time no reservation could have set (a clock that ran ahead)', () => {
    expect(afterRefusal(at(1_000 + PACE_HORIZON_MS + 1), request(10, 1_000, 6_000))).toEqual({ kind: 'restart', startMicros: at(1_000) });
  });

  it('paces 3 % under the rate, scaled down after 130429s', () => {
    expect(effectiveRate(80)).toBe(77);
    expect(effectiveRate(1_000)).toBe(970);
    expect(effectiveRate(80, 0.5)).toBe(38);
    expect(effectiveRate(1, 0.2)).toBe(1);
  });

  it('backs off multiplicatively on a 130429 and recovers linearly to the full pace', () => {
    const first = afterThrottle(undefined, 10_000)!;
    expect(first).toEqual({ throttleFactor: THROTTLE_BACKOFF, throttledAt: 10_000 });
    expect(paceFactor(undefined, 10_000)).toBe(1);
    expect(paceFactor(first, 10_000)).toBe(THROTTLE_BACKOFF);
    expect(paceFactor(first, 12_000)).toBeCloseTo(THROTTLE_BACKOFF + 2 * PACE_RECOVERY_PER_SECOND, 10);
    expect(paceFactor(first, 60_000)).toBe(1);
    // A second 130429 three seconds later backs off from where the pace had climbed to.
    const second = afterThrottle(first, 13_000)!;
    expect(second.throttleFactor).toBeCloseTo((THROTTLE_BACKOFF + 3 * PACE_RECOVERY_PER_SECOND) * THROTTLE_BACKOFF, 10);
  });

  it('treats the 130429s of one burst as one signal, and never paces below the floor', () => {
    const first = afterThrottle(undefined, 10_000)!;
    expect(afterThrottle(first, 10_000 + THROTTLE_REACTION_GAP_MS - 1)).toBeUndefined();
    let state = first;
    for (let i = 1; i <= 30; i++) state = afterThrottle(state, 10_000 + i * THROTTLE_REACTION_GAP_MS)!;
    expect(state.throttleFactor).toBe(MIN_PACE_FACTOR);
  });

  it('derives maximumConcurrency from the rate and the batch size, the same way serverless.yml does', () => {
    const derived = createRequire(import.meta.url)('../../../infra/derived-params.cjs') as {
      sendBatchSizeFor: (rate: number) => number;
      maxConcurrencyFor: (rate: number, batchSize?: number) => number;
    };
    for (const rate of [1, 10, 80, 150, 200, 500, 1_000]) {
      expect(derived.sendBatchSizeFor(rate)).toBe(sendBatchSizeFor(rate));
      expect(derived.maxConcurrencyFor(rate)).toBe(maxConcurrencyFor(rate));
      expect(derived.maxConcurrencyFor(rate, 10)).toBe(maxConcurrencyFor(rate, 10));
    }
    expect([sendBatchSizeFor(80), maxConcurrencyFor(80)]).toEqual([200, 3]);
    expect([sendBatchSizeFor(150), maxConcurrencyFor(150)]).toEqual([380, 3]);
    expect([sendBatchSizeFor(1_000), maxConcurrencyFor(1_000)]).toEqual([1_000, 5]);
    expect([sendBatchSizeFor(1), maxConcurrencyFor(1)]).toEqual([10, 3]);
    expect(maxConcurrencyFor(1_000, 1)).toBe(1_000);
  });

  it('runs the send function with batches that hold BATCH_SECONDS of send times', () => {
    const service = parse(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8')) as {
      functions: { send: { events: Array<{ sqs?: { batchSize: unknown } }> } };
    };
    expect(service.functions.send.events.find((event) => event.sqs)?.sqs?.batchSize).toBe(
      '${file(infra/derived-params.cjs):sendBatchSize}',
    );
    for (const rate of [10, 80, 150, 400]) expect(sendBatchSizeFor(rate) / rate).toBeGreaterThanOrEqual(BATCH_SECONDS);
  });

  it('covers the turnaround of an invocation with the blocks the others hold, with one invocation to spare', () => {
    for (const rate of [80, 150, 1_000]) {
      const batch = sendBatchSizeFor(rate);
      const others = maxConcurrencyFor(rate) - 2;
      expect((others * batch) / rate).toBeGreaterThanOrEqual(TURNAROUND_SECONDS);
      expect(((others - 1) * batch) / rate).toBeLessThan(TURNAROUND_SECONDS);
    }
  });
});
