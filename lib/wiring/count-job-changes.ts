import type { DynamoDBStreamEvent } from 'aws-lambda';
import { createCampaignCounters } from '../adapters/dynamodb/campaign-counters.ts';
import { jobChangesOf } from '../adapters/dynamodb/job-stream.ts';
import { loadCountsConfig } from '../config.ts';
import type { CountsRuntime } from '../counts/count-stream-batch.ts';
import type { WiringContext } from './context.ts';

/** The counting function's runtime: the campaign counters and the reader of the jobs table's stream images. */
export function createCountsRuntime({ env, clients, logger, metrics, random }: WiringContext): CountsRuntime<DynamoDBStreamEvent> {
  const config = loadCountsConfig(env);
  return {
    counters: createCampaignCounters(clients.doc, {
      tableName: config.campaignsTable,
      shards: config.counterShards,
      ...(random ? { random } : {}),
    }),
    read: jobChangesOf,
    logger,
    metrics,
  };
}
