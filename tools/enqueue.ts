#!/usr/bin/env node
/**
 * Validates send jobs and enqueues them in batches of 10.
 *
 *   npm run enqueue -- --queue-url <url> [--endpoint <sqs endpoint>] [--skip-invalid] [--dry-run] jobs.jsonl
 *
 * Input: JSON Lines (one job per line) or one JSON array. By default nothing is enqueued when
 * any job is invalid; --skip-invalid enqueues the valid ones and lists the others.
 * Exit codes: 0 all enqueued, 1 invalid jobs (or enqueue failures), 2 usage error.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SANCTIONED_COUNTRIES } from '../lib/domain/phone.ts';
import { enqueuePrepared, prepareJobs } from '../lib/producer.ts';

const USAGE =
  'usage: enqueue --queue-url <url> [--endpoint <url>] [--skip-invalid] [--dry-run] [--blocked-countries CU,IR,KP,SY] <jobs.jsonl | jobs.json>';

/** The command line, parsed; throws on an unknown option. */
function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: {
      'queue-url': { type: 'string' },
      endpoint: { type: 'string' },
      'skip-invalid': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'blocked-countries': { type: 'string', default: SANCTIONED_COUNTRIES.join(',') },
    },
  });
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const file = positionals[0];
  if (!file || (!values['queue-url'] && !values['dry-run'])) {
    console.error(USAGE);
    return 2;
  }
  const jobs = parseJobsFile(await readFile(file, 'utf8'));
  const policy = { blockedCountries: values['blocked-countries'].split(',').filter(Boolean), blockedPrefixes: [] };
  const prepared = prepareJobs(
    jobs.map((j) => j.value),
    policy,
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

const PARSE_ERROR = Symbol('unparseable line');

/** JSON array or JSON Lines; an unparseable line is kept as a marker so it is reported, not skipped. */
function parseJobsFile(text: string): Array<{ label: string; value: unknown }> {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    return (JSON.parse(trimmed) as unknown[]).map((value, i) => ({ label: `#${i + 1}`, value }));
  }
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), label: `line ${i + 1}` }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, label }) => {
      try {
        return { label, value: JSON.parse(line) as unknown };
      } catch {
        return { label, value: PARSE_ERROR as unknown };
      }
    });
}

process.exitCode = await main();
