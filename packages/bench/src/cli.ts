/**
 * npm run bench: pushes jobs through the real functions on the local stack against the MM API
 * simulator, at a per-phone-number ceiling, and reports throughput, 130429s, latency, SDK requests
 * and request units per job, CPU and memory, and the projected AWS cost. Not part of CI.
 *
 *   npm run bench                               # full: 50,000 jobs at 80/s, then 50,000 at the highest ceiling
 *   npm run bench -- --quick                    # 2,000 jobs at 80/s (about a minute)
 *   npm run bench -- --scenario probe           # 5,000 jobs at each of 100…1000/s: find the highest ceiling
 *   npm run bench -- --scenario numbers         # 9,000 jobs on 3 numbers at 80/s each, the second shared by 2 campaigns
 *   npm run bench -- --jobs 10000 --rate 80,200 [--numbers 3] [--concurrency 8] [--arrival paced] [--log-level SILENT]
 *                    [--latency 30-150] [--read-rate 1] [--status-gap 50-300] [--env KEY=VALUE]… [--no-instrument] [--profile dir] [--single-worker] [--stall 120] [--timeout s]
 *   npm run bench -- --reanalyze packages/bench/results/<file>.json   # recompute figures and cost from a results file
 *   npm run bench -- --scenario feed            # audiences of 100,000 and 1,000,000 rows through the feeder, then
 *                    [--rows 100000,1000000] [--launch-rows 5000] [--launch-tick 60] [--json]   # a 5,000-row campaign sent: launch → first accepted
 *
 * Writes packages/bench/results/<timestamp>.json. Every process it starts listens on 127.0.0.1 only and
 * is stopped at the end, also on errors and Ctrl-C.
 */
import { readFileSync } from 'node:fs';
import { analyze } from './analyze.ts';
import { type BenchCommand, CommandLineError, parseCommandLine } from './command-line.ts';
import { runFeedScenario } from './feed-cli.ts';
import { describeMachine, machineLine } from './machine.ts';
import { PRICES } from './prices.ts';
import { formatRun, formatTable } from './report.ts';
import { ResultsFile } from './results-file.ts';
import { runBenchmark } from './run-one.ts';
import type { BenchTarget } from './target.ts';
import type { RunResult } from './types.ts';

const RESULTS_DIR = new URL('../results/', import.meta.url).pathname;

/**
 * Runs the benchmark's command line against `target` and returns the exit code: 0 when it ran
 * (whatever the figures), 2 for a bad command line.
 *
 * @example
 * process.exitCode = await main(createMyTarget(), process.argv.slice(2));
 */
export async function main(target: BenchTarget, argv: string[]): Promise<number> {
  let command: BenchCommand;
  try {
    command = parseCommandLine(argv, RESULTS_DIR);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (command.kind === 'help') console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  if (command.kind === 'reanalyze') reanalyze(command.file);
  if (command.kind === 'run') await runAll(target, command);
  if (command.kind === 'feed') return runFeedScenario(target, command, stopOnSignals().signal);
  return 0;
}

function reanalyze(path: string): void {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { runs: Array<{ run: RunResult }> };
  const rows = file.runs.map(({ run }) => ({ run, analysis: analyze(run, PRICES) }));
  for (const row of rows) console.log(`\n${formatRun(row.run, row.analysis)}`);
  console.log(`\n${formatTable(rows)}`);
}

async function runAll(target: BenchTarget, command: Extract<BenchCommand, { kind: 'run' }>): Promise<void> {
  const machine = describeMachine();
  console.log(machineLine(machine));
  const results = new ResultsFile({ dir: command.out, runName: command.runName, machine, argv: command.argv, prices: PRICES });
  const interrupt = stopOnSignals();
  try {
    for (const rate of command.rates) {
      if (interrupt.signal.aborted) break;
      const run = await runBenchmark(target, command.optionsFor(rate, { signal: interrupt.signal, say: (line) => console.log(line) }));
      const analysis = analyze(run, PRICES);
      results.add({ run, analysis });
      console.log(`\n${formatRun(run, analysis)}`);
      console.log(`results so far: ${results.save()}`);
    }
  } finally {
    if (results.rows.length > 0) {
      console.log(`\n${formatTable(results.rows)}`);
      console.log(`\nresults: ${results.save()}`);
    }
  }
}

/** The first SIGINT or SIGTERM stops the run and cleans up; a second exits at once. */
function stopOnSignals(): AbortController {
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupt.abort();
      console.error(`\n${signal}: stopping the run and cleaning up (again to quit at once)…`);
      // runBenchmark's finally stops every process; on a second signal the children follow by themselves (worker-parent-watch.ts).
      process.once(signal, () => process.exit(130));
    });
  }
  return interrupt;
}
