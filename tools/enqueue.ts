#!/usr/bin/env node
/**
 * Validates send jobs and enqueues them in batches of 10.
 *
 *   npm run enqueue -- --queue-url <url> [--endpoint <sqs endpoint>] [--skip-invalid] [--dry-run]
 *     [--blocked-countries CU,IR,KP,SY] [--blocked-prefixes +7978] jobs.jsonl
 *
 * Input: JSON Lines (one job per line) or one JSON array. By default nothing is enqueued when
 * any job is invalid; --skip-invalid enqueues the valid ones and lists the others. Each job is
 * refused exactly as the send function would refuse it: the blocked countries and prefixes
 * default to BLOCKED_COUNTRIES and BLOCKED_PREFIXES, read as the send function reads them.
 * Exit codes: 0 all enqueued, 1 invalid jobs (or enqueue failures), 2 usage error.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadRecipientPolicy } from '../lib/config.ts';
import type { RecipientPolicy } from '../lib/domain/phone.ts';
import { enqueuePrepared, prepareJobBodies } from '../lib/producer.ts';
import { parseCommandLine } from './command-line.ts';
import { type JobEntry, jobsOfFile } from './enqueue/jobs-file.ts';

const USAGE =
  'usage: enqueue --queue-url <url> [--endpoint <url>] [--skip-invalid] [--dry-run] [--blocked-countries CU,IR,KP,SY] [--blocked-prefixes +7978] <jobs.jsonl | jobs.json>';

/** The command line, parsed; throws on an unknown option. */
function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: {
      'queue-url': { type: 'string' },
      endpoint: { type: 'string' },
      'skip-invalid': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'blocked-countries': { type: 'string' },
      'blocked-prefixes': { type: 'string' },
    },
  });
}

type Options = ReturnType<typeof parseOptions>['values'];

/** An option wins over the environment; without either, the send function's default applies. */
function recipientPolicyOf(values: Options): RecipientPolicy {
  return loadRecipientPolicy({
    BLOCKED_COUNTRIES: values['blocked-countries'] ?? process.env.BLOCKED_COUNTRIES,
    BLOCKED_PREFIXES: values['blocked-prefixes'] ?? process.env.BLOCKED_PREFIXES,
  });
}

/** The jobs in the file, or why it cannot be read (the error code only: no stack trace). */
async function readJobs(file: string): Promise<JobEntry[] | string> {
  try {
    return jobsOfFile(await readFile(file, 'utf8'));
  } catch (error) {
    return `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(parseOptions, USAGE);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const file = positionals[0];
  if (!file || (!values['queue-url'] && !values['dry-run'])) {
    console.error(USAGE);
    return 2;
  }
  const jobs = await readJobs(file);
  if (typeof jobs === 'string') {
    console.error(jobs);
    return 2;
  }
  const prepared = prepareJobBodies(
    jobs.map((job) => job.body),
    recipientPolicyOf(values),
  );
  for (const { index, rejection } of prepared.rejected) {
    console.error(`job ${jobs[index]?.label}: ${rejection.reason}: ${rejection.detail}`);
  }
  const invalid = prepared.rejected.length;
  if (values['dry-run'] || (invalid > 0 && !values['skip-invalid'])) {
    console.log(JSON.stringify({ valid: prepared.valid.length, invalid, enqueued: 0 }));
    return invalid > 0 ? 1 : 0;
  }
  const sqs = new SQSClient(values.endpoint ? { endpoint: values.endpoint } : {});
  const report = await enqueuePrepared(sqs, values['queue-url']!, prepared.valid);
  for (const failure of report.failed) console.error(`job ${jobs[failure.index]?.label}: not enqueued: ${failure.error}`);
  console.log(JSON.stringify({ valid: prepared.valid.length, invalid, enqueued: report.enqueued, failed: report.failed.length }));
  return invalid > 0 || report.failed.length > 0 ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  // SQS unreachable, credentials missing: one line, not a stack trace.
  console.error(`enqueue failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
