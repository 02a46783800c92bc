/**
 * npm run bench: pushes jobs through the real functions on the local stack against the MM API
 * simulator, at a per-phone-number ceiling, and reports throughput, 130429s, latency, SDK requests
 * and request units per job, CPU and memory, and the projected AWS cost. Not part of CI.
 *
 *   npm run bench                               # full: 50,000 jobs at 80/s, then 50,000 at the highest ceiling
 *   npm run bench -- --quick                    # 2,000 jobs at 80/s (about a minute)
 *   npm run bench -- --scenario probe           # 5,000 jobs at each of 100…1000/s: find the highest ceiling
 *   npm run bench -- --jobs 10000 --rate 80,200 [--concurrency 8] [--arrival paced] [--log-level SILENT]
 *                    [--latency 30-150] [--read-rate 1] [--status-gap 50-300] [--env KEY=VALUE]… [--no-instrument] [--profile dir] [--single-worker] [--stall 120] [--timeout s]
 *   npm run bench -- --reanalyze bench/results/<file>.json   # recompute figures and cost from a results file
 *
 * Writes bench/results/<timestamp>.json. Every process it starts listens on 127.0.0.1 only and
 * is stopped at the end, also on errors and Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { type Analysis, analyze } from './analyze.ts';
import { PRICES } from './prices.ts';
import { formatRun, formatTable } from './report.ts';
import { type RunOptions, type RunResult, runBenchmark } from './run-one.ts';

/** The highest ceiling this machine's stand-ins carried (see BENCHMARKS.md); `full` runs it. */
export const HIGHEST_CEILING = 150;

const SCENARIOS: Record<string, { jobs: number; rates: number[] }> = {
  quick: { jobs: 2_000, rates: [80] },
  full: { jobs: 50_000, rates: [80, HIGHEST_CEILING] },
  probe: { jobs: 5_000, rates: [100, 120, 150, 200, 400, 1_000] },
};

const { values } = parseArgs({
  options: {
    scenario: { type: 'string' },
    quick: { type: 'boolean', default: false },
    jobs: { type: 'string' },
    rate: { type: 'string' },
    concurrency: { type: 'string' },
    arrival: { type: 'string', default: 'burst' },
    'log-level': { type: 'string', default: 'INFO' },
    latency: { type: 'string', default: '30-150' },
    'read-rate': { type: 'string', default: '1' },
    'status-gap': { type: 'string', default: '50-300' },
    env: { type: 'string', multiple: true },
    'no-instrument': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'single-worker': { type: 'boolean', default: false },
    stall: { type: 'string', default: '120' },
    timeout: { type: 'string' },
    out: { type: 'string', default: new URL('./results/', import.meta.url).pathname },
    reanalyze: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function machine(): Record<string, string | number> {
  const cpuModel = /model name\s*:\s*(.+)/.exec(safe(() => readFileSync('/proc/cpuinfo', 'utf8')) ?? '')?.[1] ?? 'unknown';
  const java = safe(() => execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' }).split('\n')[0]) ?? 'java not found';
  return {
    nproc: availableParallelism(),
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel,
    node: process.version,
    java: java.trim(),
    commit: safe(() => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()) ?? 'unknown',
    dirty: safe(() => execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim().length > 0 ? 'yes' : 'no') ?? 'unknown',
  };
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function printAll(rows: Array<{ run: RunResult; analysis: Analysis }>): void {
  for (const row of rows) console.log(`\n${formatRun(row.run, row.analysis)}`);
  console.log(`\n${formatTable(rows)}`);
}

if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}

if (values.reanalyze) {
  const file = JSON.parse(readFileSync(values.reanalyze, 'utf8')) as { runs: Array<{ run: RunResult }> };
  printAll(file.runs.map(({ run }) => ({ run, analysis: analyze(run, PRICES) })));
  process.exit(0);
}

const scenarioName = values.quick ? 'quick' : (values.scenario ?? 'full');
const scenario = SCENARIOS[scenarioName] ?? fail(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')}`);
/** Names the results file: the scenario, or `custom` when the command line changed its jobs, rates or concurrency. */
const runName = values.jobs || values.rate || values.concurrency ? 'custom' : scenarioName;
const jobs = values.jobs ? Number(values.jobs) : scenario.jobs;
if (!Number.isInteger(jobs) || jobs < 100 || jobs > 1_000_000) fail('--jobs must be a whole number from 100 to 1,000,000');
const rates = values.rate ? values.rate.split(',').map(Number) : scenario.rates;
if (rates.some((r) => !Number.isInteger(r) || r < 1 || r > 10_000)) fail('--rate must be whole numbers from 1 to 10,000, comma-separated');
const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000)) fail('--concurrency must be 2 to 1000');
if (values.arrival !== 'burst' && values.arrival !== 'paced') fail('--arrival must be burst or paced');
const logLevel = values['log-level'];
if (logLevel !== 'INFO' && logLevel !== 'SILENT') fail('--log-level must be INFO or SILENT');
const [latencyMin, latencyMax] = values.latency.split('-').map(Number);
if (!(Number(latencyMin) >= 0) || !(Number(latencyMax) >= Number(latencyMin))) fail('--latency must look like 30-150 (ms)');
const [statusGapMin, statusGapMax] = values['status-gap'].split('-').map(Number);
if (!(Number(statusGapMin) >= 0) || !(Number(statusGapMax) >= Number(statusGapMin)) || Number(statusGapMax) > 600_000) fail('--status-gap must look like 50-300 (ms, at most 600000)');
const readRate = Number(values['read-rate']);
if (!(readRate >= 0 && readRate <= 1)) fail('--read-rate must be 0..1');
const env = Object.fromEntries((values.env ?? []).map((pair) => pair.split(/=(.*)/s).slice(0, 2) as [string, string]));

const info = machine();
console.log(`machine: ${info.nproc} cores (${info.cpuModel}), ${info.memoryGb} GB, Node ${info.node}, ${info.java}; commit ${info.commit}${info.dirty === 'yes' ? ' + uncommitted changes' : ''}`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const rows: Array<{ run: RunResult; analysis: Analysis }> = [];
const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupt.abort();
    console.error(`\n${signal}: stopping the run and cleaning up (again to quit at once)…`);
    // run-one's finally blocks stop every process; a second signal exits at once (the children follow: see bench/worker-parent-watch.ts).
    process.once(signal, () => process.exit(130));
  });
}

const save = () => {
  mkdirSync(values.out, { recursive: true });
  const path = `${values.out.replace(/\/$/, '')}/${stamp}-${runName}.json`;
  writeFileSync(path, `${JSON.stringify({ machine: info, argv: process.argv.slice(2), prices: PRICES, runs: rows }, null, 1)}\n`);
  return path;
};

try {
  for (const rate of rates) {
    if (interrupt.signal.aborted) break;
    const options: RunOptions = {
      label: `${rate}per-s`,
      jobs,
      rate,
      ...(concurrency !== undefined ? { concurrency } : {}),
      arrival: values.arrival as RunOptions['arrival'],
      latencyMs: { min: Number(latencyMin), max: Number(latencyMax) },
      readRate,
      statusGapMs: { min: Number(statusGapMin), max: Number(statusGapMax) },
      logLevel,
      env,
      instrument: !values['no-instrument'],
      ...(values.profile ? { profileDir: values.profile } : {}),
      singleWorker: values['single-worker'],
      stallSeconds: Number(values.stall),
      // Twice the time the ceiling allows, plus the start and the webhook tail.
      timeoutSeconds: values.timeout ? Number(values.timeout) : Math.ceil((2 * jobs) / rate) + 300,
      say: (line) => console.log(line),
      signal: interrupt.signal,
    };
    const run = await runBenchmark(options);
    const analysis = analyze(run, PRICES);
    rows.push({ run, analysis });
    console.log(`\n${formatRun(run, analysis)}`);
    console.log(`results so far: ${save()}`);
  }
} finally {
  if (rows.length > 0) {
    console.log(`\n${formatTable(rows)}`);
    console.log(`\nresults: ${save()}`);
  }
}
