import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createCampaignCounters } from '../../lib/adapters/dynamodb/campaign-counters.ts';
import { DynamoCampaignStore } from '../../lib/adapters/dynamodb/campaign-store.ts';
import { createControlStore } from '../../lib/adapters/dynamodb/control-store.ts';
import { createFeedTrigger } from '../../lib/adapters/sqs/feed-trigger.ts';
import { loadRecipientPolicy } from '../../lib/config.ts';
import type { RecipientPolicy } from '../../lib/domain/phone.ts';
import type { CampaignCounters } from '../../lib/ports/campaign-counters.ts';
import type { CampaignStore } from '../../lib/ports/campaign-store.ts';
import type { ControlStore } from '../../lib/ports/control-store.ts';
import type { FeedTrigger } from '../../lib/ports/feed-trigger.ts';
import { invalidInput } from './failure.ts';

/** Everything a campaign command works with; `npm start` builds its own and calls the commands directly. */
export interface CampaignCliContext {
  campaigns: CampaignStore;
  counters: CampaignCounters;
  /** The control table's `campaign#<id>` items, which the send path reads. */
  controls: Pick<ControlStore, 'setCampaignStatus'>;
  feeds: FeedTrigger;
  s3: S3Client;
  /** The jobs table, read by key for the per-recipient report. */
  jobs: { doc: DynamoDBDocumentClient; tableName: string };
  /** Which rows the send path refuses, so the report names the same rows rejected as the feeder did. */
  recipientPolicy: RecipientPolicy;
  now: () => number;
  /** One line of output for the person at the console. */
  out: (line: string) => void;
}

/** The environment variables the commands read, as the deployed functions name them. */
export type ConfigName = 'CAMPAIGNS_TABLE' | 'JOBS_TABLE' | 'CONTROL_TABLE' | 'FEED_QUEUE_URL';

/** Endpoints of stand-ins (the local stack); absent on AWS, where the SDK's defaults apply. */
export interface Endpoints {
  dynamodb?: string | undefined;
  sqs?: string | undefined;
  s3?: string | undefined;
}

export interface ContextOptions {
  env: NodeJS.ProcessEnv;
  /** What this command uses: a missing one is a usage error; the others are never called. */
  needs: readonly ConfigName[];
  endpoints: Endpoints;
  out: (line: string) => void;
}

/** The SDK clients, with the stand-ins' endpoints from the options or AWS_ENDPOINT_URL_*, and how to close them. */
export function createClients(env: NodeJS.ProcessEnv, endpoints: Endpoints = {}) {
  const dynamoEndpoint = endpoints.dynamodb ?? env.AWS_ENDPOINT_URL_DYNAMODB;
  // The SQS endpoint is passed explicitly: the SDK would otherwise send to the host inside the queue URL.
  const sqsEndpoint = endpoints.sqs ?? env.AWS_ENDPOINT_URL_SQS;
  const s3Endpoint = endpoints.s3 ?? env.AWS_ENDPOINT_URL_S3;
  const dynamodb = new DynamoDBClient(dynamoEndpoint ? { endpoint: dynamoEndpoint } : {});
  const sqs = new SQSClient(sqsEndpoint ? { endpoint: sqsEndpoint } : {});
  // Stand-ins serve S3 path-style only (no bucket subdomains).
  const s3 = new S3Client(s3Endpoint ? { endpoint: s3Endpoint, forcePathStyle: true } : {});
  return {
    doc: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs,
    s3,
    close: () => {
      dynamodb.destroy();
      sqs.destroy();
      s3.destroy();
    },
  };
}

/** Reads the configuration a command needs; every missing variable is named at once. */
function configOf(env: NodeJS.ProcessEnv, needs: readonly ConfigName[]): Record<ConfigName, string> {
  const missing = needs.filter((name) => !env[name]);
  if (missing.length > 0) throw invalidInput(`set ${missing.join(', ')} in the environment (the names the deployed functions use)`);
  const read = (name: ConfigName) => env[name] ?? '';
  return {
    CAMPAIGNS_TABLE: read('CAMPAIGNS_TABLE'),
    JOBS_TABLE: read('JOBS_TABLE'),
    CONTROL_TABLE: read('CONTROL_TABLE'),
    FEED_QUEUE_URL: read('FEED_QUEUE_URL'),
  };
}

/** The commands' context from the environment, and how to close its clients when done. */
export function createCliContext(options: ContextOptions): { context: CampaignCliContext; close: () => void } {
  const config = configOf(options.env, options.needs);
  const clients = createClients(options.env, options.endpoints);
  const context: CampaignCliContext = {
    campaigns: new DynamoCampaignStore(clients.doc, { tableName: config.CAMPAIGNS_TABLE }),
    // The CLI only reads counters (through the steering deps); the shard count matters only for writes.
    counters: createCampaignCounters(clients.doc, { tableName: config.CAMPAIGNS_TABLE, shards: 1 }),
    controls: createControlStore(clients.doc, { tableName: config.CONTROL_TABLE }),
    feeds: createFeedTrigger(clients.sqs, config.FEED_QUEUE_URL),
    s3: clients.s3,
    jobs: { doc: clients.doc, tableName: config.JOBS_TABLE },
    recipientPolicy: loadRecipientPolicy(options.env),
    now: Date.now,
    out: options.out,
  };
  return { context, close: () => clients.close() };
}
