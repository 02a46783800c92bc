/**
 * The benchmark runs the service's functions in two worker processes (the send path, and the
 * feedback path), as Lambda runs each function in processes of its own. These fold what the
 * two report into one worker's figures: counts add up, peaks add up (both processes are
 * resident at once), samples are pooled.
 */
import { bucketKey, type InstrumentReport, type RequestBucket } from './attribution.ts';
import type { WorkerLogBytes, WorkerStopped } from './types.ts';

function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): Record<string, number> {
  for (const [key, value] of Object.entries(from ?? {})) into[key] = (into[key] ?? 0) + value;
  return into;
}

/** Undefined when any worker did not report (it was killed): a partial sum would mislead. */
export function mergeStopped(reports: ReadonlyArray<WorkerStopped | undefined>): WorkerStopped | undefined {
  if (reports.length === 0 || reports.some((r) => r === undefined)) return undefined;
  const all = reports as WorkerStopped[];
  return {
    cpuMs: all.reduce((sum, r) => sum + r.cpuMs, 0),
    maxRssMb: all.reduce((sum, r) => sum + r.maxRssMb, 0),
    ...(all.some((r) => r.requests)
      ? { requests: all.reduce((into, r) => addCounts(into, r.requests), {} as Record<string, number>) }
      : {}),
    ...(all.some((r) => r.eventSources)
      ? { eventSources: Object.assign({}, ...all.map((r) => r.eventSources ?? {})) as NonNullable<WorkerStopped['eventSources']> }
      : {}),
  };
}

/** The instrument's reports of every worker as one: buckets and counts added up, samples pooled. */
export function mergeInstrument(reports: readonly InstrumentReport[]): InstrumentReport | undefined {
  if (reports.length === 0) return undefined;
  const buckets = new Map<string, RequestBucket>();
  for (const bucket of reports.flatMap((r) => r.buckets)) {
    const key = bucketKey(bucket.service, bucket.operation, bucket.resource, bucket.path);
    const into = buckets.get(key);
    if (!into) {
      buckets.set(key, { ...bucket });
      continue;
    }
    for (const field of [
      'requests',
      'billable',
      'errors',
      'conditionalFailures',
      'tableCapacity',
      'indexCapacity',
      'items',
      'emptyReceives',
      'messages',
      'latencyMsTotal',
    ] as const)
      into[field] += bucket[field];
  }
  const invocations: InstrumentReport['invocations'] = {};
  const latencySamples: InstrumentReport['latencySamples'] = {};
  for (const report of reports) {
    for (const [fn, inv] of Object.entries(report.invocations)) {
      invocations[fn] ??= { count: 0, totalMs: 0, samplesMs: [] };
      const into = invocations[fn];
      into.count += inv.count;
      into.totalMs += inv.totalMs;
      into.samplesMs.push(...inv.samplesMs);
    }
    for (const [key, samples] of Object.entries(report.latencySamples)) {
      latencySamples[key] ??= [];
      latencySamples[key].push(...samples);
    }
  }
  return {
    version: 1,
    pid: reports[0]!.pid,
    startedAt: Math.min(...reports.map((r) => r.startedAt)),
    writtenAt: Math.max(...reports.map((r) => r.writtenAt)),
    buckets: [...buckets.values()],
    byCommand: reports.reduce((into, r) => addCounts(into, r.byCommand), {} as Record<string, number>),
    invocations,
    latencySamples,
  };
}

/** Every worker's log bytes, added up by kind and by function. */
export function mergeLogBytes(all: readonly WorkerLogBytes[]): WorkerLogBytes {
  const merged: WorkerLogBytes = { app: 0, emf: 0, lines: 0, emfLines: 0, emfByFunction: {} };
  for (const logBytes of all) {
    merged.app += logBytes.app;
    merged.emf += logBytes.emf;
    merged.lines += logBytes.lines;
    merged.emfLines += logBytes.emfLines;
    for (const [fn, entry] of Object.entries(logBytes.emfByFunction)) {
      merged.emfByFunction[fn] ??= { bytes: 0, lines: 0 };
      const into = merged.emfByFunction[fn];
      into.bytes += entry.bytes;
      into.lines += entry.lines;
    }
  }
  return merged;
}
