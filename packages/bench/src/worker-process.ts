/**
 * A worker process of the target: started with the benchmark's preloads (worker-parent-watch.ts,
 * and worker-instrument.ts unless told not to), its ready and stopped lines read from stdout,
 * and its log lines counted by kind as they go by.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { WorkerCommand } from './target.ts';
import type { EmfByFunction, PacingLine, WorkerLogBytes, WorkerStopped } from './types.ts';

/** The worker's `{"ready":true,…}` line. */
export interface WorkerReady {
  webhookUrl: string;
  pid: number;
}

/** A started worker. */
export interface WorkerHandle {
  child: ChildProcess;
  ready: Promise<WorkerReady>;
  /** Its stopped line; undefined when it exited without one (it was killed). */
  stopped: Promise<WorkerStopped | undefined>;
  logBytes: WorkerLogBytes;
  /** The `pacing` objects of its log lines (see target.ts), at most PACING_LINES_KEPT. */
  pacingLines: PacingLine[];
  /** The values of its EMF metrics, summed by `function/metric`. */
  metricTotals: Record<string, number>;
  /** The last 40 lines of its stderr. */
  stderrTail: string[];
}

/** What {@link startWorker} gets. */
export interface StartWorkerInput {
  command: WorkerCommand;
  /** The benchmark's additions to the environment (the local stack's endpoints, the instrument's settings). */
  env: Record<string, string>;
  instrument: boolean;
  /** Write a V8 CPU profile into this directory. */
  profileDir: string | undefined;
}

const STDERR_LINES_KEPT = 40;
const PACING_LINES_KEPT = 100_000;

/** Starts a worker; the caller waits for `ready` and, after SIGTERM, for `stopped`. */
export function startWorker(input: StartWorkerInput): WorkerHandle {
  const preload = [
    '--import',
    new URL('./worker-parent-watch.ts', import.meta.url).pathname,
    ...(input.instrument ? ['--import', new URL('./worker-instrument.ts', import.meta.url).pathname] : []),
  ];
  const profile = input.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${input.profileDir}`] : [];
  const child = spawn(process.execPath, [...(input.command.nodeArgs ?? []), ...profile, ...preload, input.command.script], {
    cwd: input.command.cwd,
    env: { ...process.env, ...input.command.env, ...input.env },
    // stdin stays a pipe: worker-parent-watch.ts stops the worker when it closes.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const logBytes: WorkerLogBytes = { app: 0, emf: 0, lines: 0, emfLines: 0, emfByFunction: {} };
  const stderrTail: string[] = [];
  const pacingLines: PacingLine[] = [];
  const metricTotals: Record<string, number> = {};
  const countLine = (line: string) => {
    countLogLine(logBytes, line);
    if (line.includes('"_aws"')) addMetrics(metricTotals, line);
    if (pacingLines.length < PACING_LINES_KEPT && line.includes('"pacing":{')) {
      const pacing = pacingOf(line);
      if (pacing) pacingLines.push(pacing);
    }
  };
  let onReady: (value: WorkerReady) => void = () => {};
  let onStopped: (value: WorkerStopped | undefined) => void = () => {};
  const ready = new Promise<WorkerReady>((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code, signal) =>
      reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${stderrTail.join('\n')}`)),
    );
  });
  ready.catch(() => undefined);
  const stopped = new Promise<WorkerStopped | undefined>((resolve) => {
    onStopped = resolve;
    child.once('exit', () => resolve(undefined));
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{"ready":true')) onReady(JSON.parse(line) as WorkerReady);
    else if (line.startsWith('{"stopped":true')) onStopped(JSON.parse(line) as WorkerStopped);
    else countLine(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith('{')) countLine(line);
    stderrTail.push(line);
    if (stderrTail.length > STDERR_LINES_KEPT) stderrTail.shift();
  });
  return { child, ready, stopped, logBytes, pacingLines, metricTotals, stderrTail };
}

/** Adds an EMF line's metric values (a number or an array of them) to the totals, by `function/metric`. */
function addMetrics(totals: Record<string, number>, line: string): void {
  try {
    const emf = JSON.parse(line) as Record<string, unknown> & {
      _aws?: { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name: string }> }> };
    };
    const fn = typeof emf.function === 'string' ? emf.function : 'unknown';
    for (const directive of emf._aws?.CloudWatchMetrics ?? []) {
      for (const { Name } of directive.Metrics ?? []) {
        const value = emf[Name];
        const sum = Array.isArray(value) ? value.reduce((a: number, b) => a + Number(b), 0) : Number(value);
        if (Number.isFinite(sum)) totals[`${fn}/${Name}`] = (totals[`${fn}/${Name}`] ?? 0) + sum;
      }
    }
  } catch {
    // Not JSON after all: counted as log bytes only.
  }
}

/** The numbers of a log line's `pacing` object, or undefined when the line is not JSON or has none. */
function pacingOf(line: string): PacingLine | undefined {
  try {
    const pacing = (JSON.parse(line) as { pacing?: Record<string, unknown> }).pacing;
    if (!pacing || typeof pacing !== 'object') return undefined;
    const number = (key: string) => (typeof pacing[key] === 'number' ? { [key]: pacing[key] } : {});
    return { ...number('handOverMs'), ...number('leadMs'), ...number('idleMs') };
  } catch {
    return undefined;
  }
}

/** EMF lines (they carry `"_aws"`) by their `function` dimension; every other line as app log. */
function countLogLine(logBytes: WorkerLogBytes, line: string): void {
  const bytes = Buffer.byteLength(line) + 1;
  logBytes.lines += 1;
  if (!line.includes('"_aws"')) {
    logBytes.app += bytes;
    return;
  }
  logBytes.emf += bytes;
  logBytes.emfLines += 1;
  const fn = /"function":"(\w+)"/.exec(line)?.[1] ?? 'unknown';
  logBytes.emfByFunction[fn] ??= { bytes: 0, lines: 0 };
  const entry: EmfByFunction[string] = logBytes.emfByFunction[fn];
  entry.bytes += bytes;
  entry.lines += 1;
}
