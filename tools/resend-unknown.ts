#!/usr/bin/env node
/**
 * Sends once more the jobs of a campaign left `unknown` (a worker died mid-send, or Meta's answer
 * was lost) for which no status came within the window: Meta never took them. Each job is re-sent
 * at most once, never past its validity (docs/operations.md#unknown-jobs-after-a-crash).
 *
 *   npm run resend-unknown -- --jobs-table <t> --send-queue-url <url> \
 *     [--deferred-queue-url <url>] [--after-seconds 3600] [--dry-run] [--json] <campaignId>
 *
 * Endpoints of local stand-ins come from AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_SQS.
 * The jobs are found in the sparse index of unknown jobs, not by a scan. Exit codes: 0 done,
 * 1 a re-send failed half-way (run it again: it picks up where it stopped), 2 usage error.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createJobStore } from '../lib/adapters/dynamodb/job-store.ts';
import { createJobQueues } from '../lib/adapters/sqs/job-queues.ts';
import { DEFAULT_RESEND_AFTER_SECONDS } from '../lib/domain/resend-rule.ts';
import { type ResendReport, resendUnknown } from '../lib/resend/resend-unknown.ts';
import { documentClient, parseCommandLine, TABLE_OPTIONS } from './command-line.ts';

const USAGE =
  'usage: resend-unknown --jobs-table <t> --send-queue-url <url> [--deferred-queue-url <url>] [--after-seconds N] [--dry-run] [--json] <campaignId>';

function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: {
      ...TABLE_OPTIONS,
      'send-queue-url': { type: 'string' },
      'deferred-queue-url': { type: 'string' },
      'after-seconds': { type: 'string', default: String(DEFAULT_RESEND_AFTER_SECONDS) },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(parseOptions, USAGE);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const afterSeconds = Number(values['after-seconds']);
  const [campaignId] = positionals;
  const jobsTable = values['jobs-table'];
  const sendQueueUrl = values['send-queue-url'];
  if (!campaignId || !jobsTable || !sendQueueUrl || !Number.isInteger(afterSeconds) || afterSeconds < 0) {
    console.error(USAGE);
    return 2;
  }
  const dynamoEndpoint = process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const sqsEndpoint = process.env.AWS_ENDPOINT_URL_SQS;
  const doc = documentClient(dynamoEndpoint);
  const sqs = new SQSClient(sqsEndpoint ? { endpoint: sqsEndpoint } : {});
  try {
    const report = await resendUnknown(campaignId, {
      jobs: createJobStore(doc, { tableName: jobsTable, retentionDays: 30 }),
      queues: createJobQueues(sqs, { sendQueueUrl, deferredQueueUrl: values['deferred-queue-url'] ?? sendQueueUrl }),
      now: Date.now,
      newId: randomUUID,
      windowMs: afterSeconds * 1000,
      dryRun: values['dry-run'],
    });
    console.log(values.json ? JSON.stringify({ campaignId, ...report }, null, 2) : summary(campaignId, report, values['dry-run']));
    return 0;
  } catch (error) {
    console.error(`re-send stopped: ${(error as Error).message}; run the command again to finish`);
    return 1;
  }
}

/** Counts only: job keys hold phone numbers (`--json` lists them, for an operator's eyes). */
function summary(campaignId: string, report: ResendReport, dryRun: boolean): string {
  return [
    `campaign ${campaignId}${dryRun ? ' (dry run: nothing changed)' : ''}`,
    `  ${dryRun ? 'would re-send' : 're-sent'}: ${dryRun ? report.wouldResend.length : report.resent.length}`,
    `  too recent (a status may still come): ${report.tooRecent.length}`,
    `  past their validity: ${report.pastValidity.length}`,
    `  re-sent before (never twice): ${report.alreadyResent.length}`,
    `  settled or re-sent meanwhile: ${report.changedMeanwhile.length}`,
    `  re-sent earlier, message enqueued again: ${report.redispatched.length}`,
  ].join('\n');
}

process.exitCode = await main();
