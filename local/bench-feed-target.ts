/**
 * The feed scenario's side of this service as the benchmark's target (mm-sender-bench's
 * `FeedBenchTarget`): the stage's queues, tables and audience bucket, campaigns created as
 * `npm run campaign -- create` stores them, their state read from the campaign item, and the
 * worker that runs the ticker and the feeder (local/worker.ts).
 */
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { buildSync } from 'esbuild';
import { clientsFor, queueOf, tableOf } from 'lambda-local-kit';
import type { DeployInput, FeedBenchTarget, FeedCampaign, FeedCampaignState, FeedStage, WorkerCommand } from 'mm-sender-bench';
import { CAMPAIGN_ITEM, DynamoCampaignStore } from '../lib/adapters/dynamodb/campaign-store.ts';
import { campaignSchema } from '../lib/domain/campaign-contract.ts';
import { createServiceResources, serviceName } from './serverless-config.ts';

/** What the feed target shares with the rest of the bench target: how its worker is started. */
export interface FeedTargetContext {
  /** The worker command for a stage, functions and extra environment (as `BenchTarget.workerCommand` builds it). */
  workerCommand(input: {
    stage: string;
    metaBaseUrl: string;
    functions: string[];
    logLevel: string;
    env: Record<string, string>;
  }): WorkerCommand;
}

export function createFeedTarget(context: FeedTargetContext): FeedBenchTarget {
  return {
    functionNames: { ticker: 'campaigns', feeder: 'feeder' },
    deployFeed,
    feedWorker: (input) => {
      const command = context.workerCommand({
        stage: input.stage,
        metaBaseUrl: input.metaBaseUrl,
        functions: ['feeder', ...input.functions.filter((name) => name !== 'feeder')],
        logLevel: input.logLevel,
        env: { PHONE_NUMBER_RATE_PER_SECOND: String(input.ratePerSecond), ...input.env },
      });
      const env = { ...command.env, WORKER_CAMPAIGN_TICK_MS: String(input.tickEveryMs) };
      // The feeder alone is measured as Lambda runs it: one esbuild bundle, V8's heap held to the memory budget.
      if (input.functions.length > 0) return { ...command, env };
      return { ...command, env, script: bundledWorker(command.cwd), nodeArgs: heapLimitsFor(FEEDER_MEMORY_BUDGET_MB) };
    },
  };
}

/** The feeder's memory goal (MB): the feed scenario runs it in a process held to this. */
export const FEEDER_MEMORY_BUDGET_MB = 256;

/**
 * V8's limits for a process that must stay within `memoryMb`: the old generation at 60 % of it,
 * leaving the rest to code, the young generation and buffers outside the heap (sockets, the S3
 * stream). Unlimited, V8 grows its heap long before it collects, and a process's peak then shows
 * the machine's headroom rather than what the code needs.
 */
export function heapLimitsFor(memoryMb: number): string[] {
  return [`--max-old-space-size=${Math.floor(memoryMb * 0.6)}`, '--max-semi-space-size=8'];
}

/**
 * local/worker.ts as one esbuild bundle, built as serverless.yml's esbuild settings build the
 * functions: the source run (Node stripping TypeScript types file by file) costs memory Lambda
 * never spends. Written at the repository's first level, where its `../serverless.yml` resolves.
 */
function bundledWorker(repoRoot: string): string {
  const outfile = join(repoRoot, '.esbuild', 'bench-worker.mjs');
  buildSync({
    entryPoints: [join(repoRoot, 'local', 'worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  return outfile;
}

async function deployFeed(input: DeployInput): Promise<FeedStage> {
  const service = serviceName();
  const resources = await createServiceResources(input);
  const audienceBucket = `${service}-${input.stage}-audiences`;
  const { s3, destroy } = clientsFor(input.endpoints);
  try {
    await s3.send(new CreateBucketCommand({ Bucket: audienceBucket }));
  } finally {
    destroy();
  }
  const tableName = tableOf(resources, 'CampaignsTable').name;
  const campaigns = new DynamoCampaignStore(input.documents, { tableName });
  return {
    resourcePrefix: `${service}-${input.stage}-`,
    audienceBucket,
    sendQueueUrl: queueOf(resources, 'SendQueue').url,
    jobs: { name: tableOf(resources, 'JobsTable').name, attributes: { state: 'state', claimedAt: 'claimedAt', acceptedAt: 'acceptedAt' } },
    createCampaign: async (campaign) => {
      if (!(await campaigns.create(campaignOf(campaign, audienceBucket), Date.now())))
        throw new Error(`campaign ${campaign.campaignId} exists already`);
    },
    readCampaign: (campaignId) => readCampaign({ campaigns, documents: input.documents, tableName }, campaignId),
  };
}

/** The campaign file the benchmark's campaign stands for, checked by the campaign contract as the CLI checks it. */
function campaignOf(campaign: FeedCampaign, bucket: string) {
  return campaignSchema.parse({
    schemaVersion: 1,
    campaignId: campaign.campaignId,
    phoneNumberId: campaign.phoneNumberId,
    template: {
      name: campaign.template.name,
      language: campaign.template.languageCode,
      body: [{ column: campaign.columns.bodyParameter }],
    },
    audience: { bucket, key: campaign.audienceKey, format: 'csv', recipientColumn: campaign.columns.recipient },
    launch: { at: new Date(campaign.launchAt).toISOString() },
  });
}

interface CampaignReader {
  campaigns: DynamoCampaignStore;
  documents: DynamoDBDocumentClient;
  tableName: string;
}

async function readCampaign(
  { campaigns, documents, tableName }: CampaignReader,
  campaignId: string,
): Promise<FeedCampaignState | undefined> {
  const [record, raw] = await Promise.all([
    campaigns.get(campaignId),
    documents.send(new GetCommand({ TableName: tableName, Key: { campaignId, item: CAMPAIGN_ITEM } })),
  ]);
  if (!record) return undefined;
  return {
    status: String(record.appliedStatus ?? record.status),
    ...(record.statusReason ? { statusReason: record.statusReason } : {}),
    rowsRead: record.feed?.checkpoint.row ?? 0,
    enqueued: record.feed?.enqueued ?? 0,
    ...(record.launch ? { launchedAt: record.launch.launchedAt } : {}),
    ...(record.feed?.fedAt !== undefined ? { fedAt: record.feed.fedAt } : {}),
    // JSON's length of the item: DynamoDB counts names and values without the quotes, colons and braces, so a slight overestimate.
    itemBytes: Buffer.byteLength(JSON.stringify(raw.Item ?? {})),
  };
}
