/**
 * npm run bench: the benchmark (mm-sender-bench) against this service. Options: `npm run bench -- --help`
 * and BENCHMARKS.md.
 */
import { main } from 'mm-sender-bench';
import { createBenchTarget } from './bench-target.ts';

process.exitCode = await main(createBenchTarget(), process.argv.slice(2));
