/** The benchmark's command line: parsed and checked, with the same messages as always. */
import { parseArgs } from 'node:util';
import type { RunOptions } from './types.ts';

/** The highest ceiling this machine's stand-ins carried (see BENCHMARKS.md); `full` runs it. */
export const HIGHEST_CEILING = 150;

const SCENARIOS: Record<string, { jobs: number; rates: number[]; numbers?: number }> = {
  quick: { jobs: 2_000, rates: [80] },
  full: { jobs: 50_000, rates: [80, HIGHEST_CEILING] },
  probe: { jobs: 5_000, rates: [100, 120, 150, 200, 400, 1_000] },
  // Three numbers at the ceiling each, the second shared by two campaigns (scenario.ts's benchCampaigns).
  numbers: { jobs: 9_000, rates: [80], numbers: 3 },
};

/** A command line the benchmark refuses; its message says what is wrong. */
export class CommandLineError extends Error {
  override readonly name = 'CommandLineError';
}

/** What the command line asks for. */
export type BenchCommand =
  | { kind: 'help' }
  | { kind: 'reanalyze'; file: string }
  | FeedCommand
  | {
      kind: 'run';
      /** Names the results file: the scenario, or `custom` when the command line changed its jobs, rates or concurrency. */
      runName: string;
      /** The results directory. */
      out: string;
      argv: string[];
      rates: number[];
      /** The options of the run at one ceiling. */
      optionsFor(rate: number, live: Pick<RunOptions, 'signal' | 'say'>): RunOptions;
    };

/** `--scenario feed`: audiences fed through the target's feeder, then a small campaign sent for launch → first accepted. */
export interface FeedCommand {
  kind: 'feed';
  out: string;
  argv: string[];
  /** The audiences fed flat out, in rows. */
  rows: number[];
  /** Rows of the campaign sent for real; 0 skips that run. */
  launchRows: number;
  /** The ticker's interval in that run (EventBridge: 60 s). */
  launchTickSeconds: number;
  logLevel: 'INFO' | 'SILENT';
  stallSeconds: number;
  /** Per feed run; default: enough for 500 rows a second plus the start. */
  timeoutSeconds?: number;
  /** Print the results as JSON on stdout (the progress lines go to stderr). */
  json: boolean;
}

/** The feed scenario's audiences: a tenth of the million and the million, to show memory does not grow with the file. */
const FEED_ROWS = [100_000, 1_000_000];
const LAUNCH_ROWS = 5_000;

function fail(message: string): never {
  throw new CommandLineError(message);
}

/** Parses `argv` (without node and the script); `defaultOut` is the results directory unless `--out` says otherwise. */
export function parseCommandLine(argv: string[], defaultOut: string): BenchCommand {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string' },
      quick: { type: 'boolean', default: false },
      jobs: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      numbers: { type: 'string' },
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
      out: { type: 'string', default: defaultOut },
      reanalyze: { type: 'string' },
      rows: { type: 'string' },
      'launch-rows': { type: 'string' },
      'launch-tick': { type: 'string', default: '60' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return { kind: 'help' };
  if (values.reanalyze) return { kind: 'reanalyze', file: values.reanalyze };

  const scenarioName = values.quick ? 'quick' : (values.scenario ?? 'full');
  if (scenarioName === 'feed') return feedCommand(values, argv);
  const scenario = SCENARIOS[scenarioName] ?? fail(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')}`);
  const jobs = values.jobs ? Number(values.jobs) : scenario.jobs;
  if (!Number.isInteger(jobs) || jobs < 100 || jobs > 1_000_000) fail('--jobs must be a whole number from 100 to 1,000,000');
  const rates = values.rate ? values.rate.split(',').map(Number) : scenario.rates;
  if (rates.some((r) => !Number.isInteger(r) || r < 1 || r > 10_000))
    fail('--rate must be whole numbers from 1 to 10,000, comma-separated');
  const numbers = values.numbers ? Number(values.numbers) : (scenario.numbers ?? 1);
  if (!Number.isInteger(numbers) || numbers < 1 || numbers > 9) fail('--numbers must be 1 to 9 (phone numbers sending at once)');
  const concurrency = values.concurrency ? Number(values.concurrency) : undefined;
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000))
    fail('--concurrency must be 2 to 1000');
  const arrival = values.arrival;
  if (arrival !== 'burst' && arrival !== 'paced') fail('--arrival must be burst or paced');
  const logLevel = values['log-level'];
  if (logLevel !== 'INFO' && logLevel !== 'SILENT') fail('--log-level must be INFO or SILENT');
  const [latencyMin, latencyMax] = values.latency.split('-').map(Number);
  if (!(Number(latencyMin) >= 0) || !(Number(latencyMax) >= Number(latencyMin))) fail('--latency must look like 30-150 (ms)');
  const [statusGapMin, statusGapMax] = values['status-gap'].split('-').map(Number);
  if (!(Number(statusGapMin) >= 0) || !(Number(statusGapMax) >= Number(statusGapMin)) || Number(statusGapMax) > 600_000) {
    fail('--status-gap must look like 50-300 (ms, at most 600000)');
  }
  const readRate = Number(values['read-rate']);
  if (!(readRate >= 0 && readRate <= 1)) fail('--read-rate must be 0..1');
  const env = Object.fromEntries((values.env ?? []).map((pair) => pair.split(/=(.*)/s).slice(0, 2) as [string, string]));

  return {
    kind: 'run',
    runName: values.jobs || values.rate || values.concurrency || values.numbers ? 'custom' : scenarioName,
    out: values.out,
    argv,
    rates,
    optionsFor: (rate, live) => ({
      label: `${rate}per-s`,
      jobs,
      rate,
      numbers,
      ...(concurrency !== undefined ? { concurrency } : {}),
      arrival,
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
      timeoutSeconds: values.timeout ? Number(values.timeout) : Math.ceil((2 * jobs) / (rate * numbers)) + 300,
      say: live.say,
      signal: live.signal,
    }),
  };
}

/** The parsed options, by name. */
type Values = Record<string, unknown>;

function feedCommand(values: Values, argv: string[]): FeedCommand {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const rows = text('rows') ? text('rows')!.split(',').map(Number) : FEED_ROWS;
  if (rows.some((r) => !Number.isInteger(r) || r < 100 || r > 10_000_000))
    fail('--rows must be whole numbers from 100 to 10,000,000, comma-separated');
  const launchRows = text('launch-rows') === undefined ? LAUNCH_ROWS : Number(text('launch-rows'));
  if (!Number.isInteger(launchRows) || launchRows < 0 || launchRows > 1_000_000) fail('--launch-rows must be 0 (skip) to 1,000,000');
  const launchTickSeconds = Number(text('launch-tick'));
  if (!Number.isInteger(launchTickSeconds) || launchTickSeconds < 1 || launchTickSeconds > 60)
    fail('--launch-tick must be 1 to 60 (seconds)');
  const logLevel = text('log-level');
  if (logLevel !== 'INFO' && logLevel !== 'SILENT') fail('--log-level must be INFO or SILENT');
  const timeout = text('timeout');
  return {
    kind: 'feed',
    out: text('out')!,
    argv,
    rows,
    launchRows,
    launchTickSeconds,
    logLevel,
    stallSeconds: Number(text('stall')),
    ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
    json: values.json === true,
  };
}
