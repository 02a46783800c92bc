#!/usr/bin/env node
/**
 * Once, when upgrading to 0.3: moves the opt-outs recorded before opt-outs belonged to an account
 * (which expire with the users table's limit-hit items) to every-account opt-outs, which do not.
 *
 *   USERS_TABLE=<…-users> npm run upgrade:opt-outs [-- --endpoint-dynamodb <url>]
 *
 * Scans the users table once; safe to run again and while the functions run. Exit codes: 0 done,
 * 1 failed (run it again), 2 usage error.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { moveLegacyOptOuts } from '../lib/adapters/dynamodb/legacy-opt-outs.ts';

const USAGE = 'usage: USERS_TABLE=<table> upgrade-opt-outs [--endpoint-dynamodb <url>]';

async function main(): Promise<number> {
  let endpointOption: string | undefined;
  try {
    endpointOption = parseArgs({ options: { 'endpoint-dynamodb': { type: 'string' } } }).values['endpoint-dynamodb'];
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const tableName = process.env.USERS_TABLE;
  if (!tableName) {
    console.error(USAGE);
    return 2;
  }
  const endpoint = endpointOption ?? process.env.AWS_ENDPOINT_URL_DYNAMODB;
  const dynamodb = new DynamoDBClient(endpoint ? { endpoint } : {});
  try {
    const report = await moveLegacyOptOuts(DynamoDBDocumentClient.from(dynamodb), tableName, Date.now());
    console.log(`${report.moved} opt-outs from before 0.3 now apply to every account without expiry; ${report.deleted} old items deleted`);
    return 0;
  } catch (error) {
    console.error(`upgrade failed (run it again): ${(error as Error).message}`);
    return 1;
  } finally {
    dynamodb.destroy();
  }
}

process.exitCode = await main();
