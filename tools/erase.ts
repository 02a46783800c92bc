#!/usr/bin/env node
/**
 * Erases what the sender holds about one phone number (a data subject's erasure request).
 *
 *   npm run erase -- <phone number> [--keep-suppression | --no-keep-suppression] [--json] [--endpoint-dynamodb <url>]
 *
 * Removes its jobs and alias items (jobs table), its limit-hit and preference items (users
 * table) and its entries in the sweep's open-deadline records (campaigns table); campaign
 * counters hold only aggregates and stay. By default (--keep-suppression) a user who opted out
 * keeps a minimal entry of its opt-outs, so it is not messaged again. Prints the counts per
 * table and the number masked. Configuration as the deployed functions read it: JOBS_TABLE,
 * USERS_TABLE, CAMPAIGNS_TABLE; a local stack's endpoint from --endpoint-dynamodb or
 * AWS_ENDPOINT_URL_DYNAMODB. Exit codes: 0 erased (or nothing to erase), 1 failed, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createRecipientErasure } from '../lib/adapters/dynamodb/recipient-erasure.ts';
import type { ErasureReport } from '../lib/domain/erasure.ts';
import { maskPhoneNumber, normalisePhoneNumber } from '../lib/domain/phone.ts';
import { parseCommandLine } from './command-line.ts';

const USAGE =
  'usage: erase <phone number, E.164> [--keep-suppression | --no-keep-suppression] [--json] [--endpoint-dynamodb <url>]\n' +
  'environment: JOBS_TABLE, USERS_TABLE, CAMPAIGNS_TABLE (as the deployed functions name them)';
const TABLES = ['JOBS_TABLE', 'USERS_TABLE', 'CAMPAIGNS_TABLE'] as const;

function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    allowNegative: true,
    options: {
      'keep-suppression': { type: 'boolean', default: true },
      json: { type: 'boolean', default: false },
      'endpoint-dynamodb': { type: 'string' },
    },
  });
}

/** The report for the person at the console: counts per table, the number masked. */
function describeErasure(masked: string, report: ErasureReport): string[] {
  return [
    `erased ${masked}`,
    `  jobs table: ${report.jobs.jobs} job items, ${report.jobs.aliases} alias items`,
    `  users table: ${report.users.items} items; ${report.users.suppressionKept ? 'its opt-outs kept as a suppression entry' : 'no suppression entry kept'}`,
    `  campaigns table: ${report.campaigns.openDeadlineEntries} open-deadline entries; counters hold only aggregates and stay`,
  ];
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(parseOptions, USAGE);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const missing = TABLES.filter((name) => !process.env[name]);
  if (positionals.length !== 1 || missing.length > 0) {
    console.error(`${missing.length > 0 ? `set ${missing.join(', ')}\n` : ''}${USAGE}`);
    return 2;
  }
  const phone = normalisePhoneNumber(positionals[0] ?? '');
  if (!phone.ok) {
    console.error(`not a phone number: ${phone.reason}\n${USAGE}`);
    return 2;
  }
  const endpoint = values['endpoint-dynamodb'] ?? process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const dynamodb = new DynamoDBClient(endpoint ? { endpoint } : {});
  try {
    const erasure = createRecipientErasure(DynamoDBDocumentClient.from(dynamodb), {
      tables: { jobs: process.env.JOBS_TABLE ?? '', users: process.env.USERS_TABLE ?? '', campaigns: process.env.CAMPAIGNS_TABLE ?? '' },
    });
    const report = await erasure.erase({ recipient: phone.e164, keepSuppression: values['keep-suppression'], now: Date.now() });
    const masked = maskPhoneNumber(phone.e164);
    console.log(values.json ? JSON.stringify({ recipient: masked, ...report }) : describeErasure(masked, report).join('\n'));
    return 0;
  } catch (error) {
    console.error(`erasure failed (run it again: it picks up where it stopped): ${(error as Error).message}`);
    return 1;
  } finally {
    dynamodb.destroy();
  }
}

process.exitCode = await main();
