#!/usr/bin/env node
/**
 * Prints a campaign's figures from DynamoDB (the campaigns table's counter shards).
 *
 *   npm run report -- --table <campaigns table> [--endpoint <dynamodb endpoint>] [--json] <campaignId>
 *
 * The table defaults to CAMPAIGNS_TABLE. Exit codes: 0 printed, 1 no such campaign, 2 usage error.
 */
import { parseArgs } from 'node:util';
import { createCampaignCounters } from '../lib/adapters/dynamodb/campaign-counters.ts';
import { campaignFigures } from '../lib/domain/campaign-figures.ts';
import { formatFigures } from '../lib/report/format-figures.ts';
import { documentClient, parseCommandLine } from './command-line.ts';

const USAGE = 'usage: report --table <campaigns table> [--endpoint <url>] [--json] <campaignId>';

/** The command line, parsed; throws on an unknown option. */
function parseOptions() {
  return parseArgs({
    allowPositionals: true,
    options: { table: { type: 'string' }, endpoint: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(parseOptions, USAGE);
  if (!parsed) return 2;
  const { values, positionals } = parsed;
  const table = values.table ?? process.env.CAMPAIGNS_TABLE;
  const campaignId = positionals[0];
  if (!table || !campaignId) {
    console.error(USAGE);
    return 2;
  }
  const doc = documentClient(values.endpoint);
  const counters = await createCampaignCounters(doc, { tableName: table, shards: 1 }).read(campaignId);
  if (Object.keys(counters).length === 0) {
    console.error(`no figures for campaign ${campaignId} in ${table}`);
    return 1;
  }
  const figures = campaignFigures(counters);
  console.log(values.json ? JSON.stringify({ campaignId, ...figures }, null, 2) : formatFigures(campaignId, figures));
  return 0;
}

process.exitCode = await main();
