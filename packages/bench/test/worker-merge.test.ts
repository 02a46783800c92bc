import { describe, expect, it } from 'vitest';
import { emptyBucket, type InstrumentReport } from '../src/attribution.ts';
import { mergeInstrument, mergeLogBytes, mergeStopped } from '../src/worker-merge.ts';

const report = (pid: number, requests: number, fn: string, samples: number[]): InstrumentReport => ({
  version: 1,
  pid,
  startedAt: 1_000 + pid,
  writtenAt: 2_000 + pid,
  buckets: [{ ...emptyBucket('dynamodb', 'UpdateItem', 'jobs', 'send'), requests, tableCapacity: requests }],
  byCommand: { 'dynamodb.UpdateItemCommand': requests },
  invocations: { [fn]: { count: samples.length, totalMs: samples.reduce((a, b) => a + b, 0), samplesMs: samples } },
  latencySamples: { 'dynamodb.UpdateItem|jobs': samples },
});

describe('merging the two benchmark workers', () => {
  it('adds up requests by bucket and command, and pools invocations and latency samples', () => {
    const merged = mergeInstrument([report(1, 10, 'send', [5, 7]), report(2, 4, 'status', [3])])!;
    expect(merged.buckets).toHaveLength(1);
    expect(merged.buckets[0]).toMatchObject({ requests: 14, tableCapacity: 14 });
    expect(merged.byCommand).toEqual({ 'dynamodb.UpdateItemCommand': 14 });
    expect(merged.invocations).toEqual({
      send: { count: 2, totalMs: 12, samplesMs: [5, 7] },
      status: { count: 1, totalMs: 3, samplesMs: [3] },
    });
    expect(merged.latencySamples['dynamodb.UpdateItem|jobs']).toEqual([5, 7, 3]);
    expect([merged.startedAt, merged.writtenAt]).toEqual([1_001, 2_002]);
    expect(mergeInstrument([])).toBeUndefined();
  });

  it('adds CPU, memory and counts, and reports nothing when one worker did not stop cleanly', () => {
    const send = { cpuMs: 100, maxRssMb: 300, requests: { a: 1 }, eventSources: { send: { invocations: 2 } as never } };
    const feedback = { cpuMs: 50, maxRssMb: 200, requests: { a: 2, b: 1 }, eventSources: { status: { invocations: 1 } as never } };
    expect(mergeStopped([send, feedback])).toEqual({
      cpuMs: 150,
      maxRssMb: 500,
      requests: { a: 3, b: 1 },
      eventSources: { send: { invocations: 2 }, status: { invocations: 1 } },
    });
    expect(mergeStopped([send, undefined])).toBeUndefined();
  });

  it('adds log bytes, by function too', () => {
    const one = { app: 1, emf: 10, lines: 2, emfLines: 1, emfByFunction: { send: { bytes: 10, lines: 1 } } };
    const two = { app: 2, emf: 5, lines: 3, emfLines: 1, emfByFunction: { send: { bytes: 5, lines: 1 }, status: { bytes: 0, lines: 0 } } };
    expect(mergeLogBytes([one, two])).toEqual({
      app: 3,
      emf: 15,
      lines: 5,
      emfLines: 2,
      emfByFunction: { send: { bytes: 15, lines: 2 }, status: { bytes: 0, lines: 0 } },
    });
  });
});
