#!/usr/bin/env node
/**
 * Recounts a campaign's figures from the jobs table and compares them with its counters
 * (docs/operations.md#recounting-a-campaign); `--write` corrects the counters.
 *
 *   npm run recount -- [--jobs-table <t>] [--campaigns-table <t>] [--endpoint <url>] [--write] [--json] <campaignId>
 *
 * Tables default to JOBS_TABLE and CAMPAIGNS_TABLE. Exit codes: 0 agreed (or corrected), 1 the
 * counters differ (not written), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { createCampaignCounters } from '../lib/adapters/dynamodb/campaign-counters.ts';
import { scanCampaignJobs } from '../lib/adapters/dynamodb/campaign-jobs.ts';
import { formatRecount, recountCampaign } from '../lib/report/recount.ts';
import { documentClient, parseCommandLine, TABLE_OPTIONS } from './command-line.ts';

const USAGE = 'usage: recount [--jobs-table <t>] [--campaigns-table <t>] [--endpoint <url>] [--write] [--json] <campaignId>';

function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: {
      ...TABLE_OPTIONS,
      endpoint: { type: 'string' },
      write: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(parseOptions, USAGE);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const jobsTable = values['jobs-table'] ?? process.env.JOBS_TABLE;
  const campaignsTable = values['campaigns-table'] ?? process.env.CAMPAIGNS_TABLE;
  const campaignId = positionals[0];
  if (!jobsTable || !campaignsTable || !campaignId || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const doc = documentClient(values.endpoint);
  const recount = await recountCampaign(
    campaignId,
    {
      forEachJob: (id, visit) => scanCampaignJobs(doc, { tableName: jobsTable, campaignId: id }, visit),
      counters: createCampaignCounters(doc, { tableName: campaignsTable, shards: 1 }),
    },
    { write: values.write },
  );
  console.log(values.json ? JSON.stringify(recount, null, 2) : formatRecount(recount));
  return recount.written || recount.lines.every((line) => line.correction === 0) ? 0 : 1;
}

process.exitCode = await main();
