/**
 * This service as the benchmark's system under test (mm-sender-bench's `BenchTarget`): its
 * functions run by local/worker.ts, its queues and tables from the infra/ files serverless.yml
 * deploys, jobs made and enqueued by the producer helper, and its campaign counters.
 */
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { queueOf, tableOf } from 'lambda-local-kit';
import type {
  AttributionRules,
  BenchStage,
  BenchTarget,
  DeployInput,
  JobBatch,
  LambdaLogging,
  LambdaSettings,
  WorkerGroup,
} from 'mm-sender-bench';
import { createCampaignCounters } from '../lib/adapters/dynamodb/campaign-counters.ts';
import { campaignFigures } from '../lib/domain/campaign-figures.ts';
import type { SendJobInput } from '../lib/domain/job-contract.ts';
import { maxConcurrencyFor } from '../lib/domain/pacing.ts';
import { SANCTIONED_COUNTRIES } from '../lib/domain/phone.ts';
import { enqueuePrepared, prepareJobs } from '../lib/producer.ts';
import { createFeedTarget } from './bench-feed-target.ts';
import type { LOCAL_SECRETS, LocalFunctionName } from './deployment.ts';
import { createServiceResources, readServerlessFile, serviceName } from './serverless-config.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const WORKER_SCRIPT = fileURLToPath(new URL('./worker.ts', import.meta.url));
/**
 * The secrets local/deployment.ts stores for the functions, typed from them so that a change there
 * fails the type check here; not imported at run time, which would load every function into the
 * benchmark's driver and count its memory there.
 */
const META_CREDENTIALS: Pick<typeof LOCAL_SECRETS, 'accessToken' | 'appSecret'> = {
  accessToken: 'local-dev-token',
  appSecret: 'local-app-secret',
};
/** Only reads here, which sum every shard whatever the count: the functions' default (COUNTER_SHARDS). */
const CAMPAIGN_COUNTER_SHARDS = 10;
/** The template's time to live in the benchmark's scenario: jobs stay valid as long. */
const VALIDITY_SECONDS = 86_400;

/**
 * Which path each request of the worker belongs to. SQS by queue; the control table (pacing slots,
 * breakers), the jobs table's claim (`attribute_not_exists(recipient)`), outcome write (conditional
 * on `:sending`) and wa_id alias (its one PutItem), and the users lookup before a send batch are the
 * send path's. The rest (campaign counters, users updates, the jobs table's other requests) go by
 * the caller's code.
 */
export const SENDER_ATTRIBUTION: AttributionRules = {
  requests: [
    ...['send', 'send-dlq', 'deferred', 'deferred-dlq'].map((resource) => ({ path: 'send' as const, service: 'sqs' as const, resource })),
    ...['status', 'status-dlq'].map((resource) => ({ path: 'status' as const, service: 'sqs' as const, resource })),
    { path: 'send', service: 'dynamodb', resource: 'control' },
    {
      path: 'send',
      service: 'dynamodb',
      resource: 'recipient-jobs',
      operation: 'UpdateItem',
      conditionIncludes: 'attribute_not_exists(recipient)',
    },
    { path: 'send', service: 'dynamodb', resource: 'recipient-jobs', operation: 'UpdateItem', conditionIncludes: ':sending' },
    { path: 'send', service: 'dynamodb', resource: 'recipient-jobs', operation: 'PutItem' },
    { path: 'send', service: 'dynamodb', resource: 'users', operation: 'BatchGetItem' },
  ],
  stackMarkers: [
    { path: 'send', markers: ['/lib/send/', '/lib/release/', '/functions/send', '/functions/release'] },
    { path: 'sweep', markers: ['/lib/sweep/', '/functions/sweep'] },
    // The counting function's writes follow from the job writes of both paths; they are counted with the status path's.
    {
      path: 'status',
      markers: ['/lib/status/', '/lib/webhook/', '/lib/counts/', '/functions/status', '/functions/webhook', '/functions/count-job-changes'],
    },
  ],
};

/** The service's functions the benchmark runs, and how the worker runs them. */
export function createBenchTarget(): BenchTarget {
  return {
    metaCredentials: META_CREDENTIALS,
    workerGroups,
    // serverless.yml derives the deployed maximumConcurrency from the rate the same way.
    concurrencyFor: (rate) => maxConcurrencyFor(rate),
    attribution: SENDER_ATTRIBUTION,
    lambdaSettings,
    deploy,
    workerCommand: (input) =>
      workerCommand({
        ...input,
        env: { PHONE_NUMBER_RATE_PER_SECOND: String(input.ratePerSecond), ...input.env },
        extra: {
          WORKER_CONCURRENCY: String(input.concurrency),
          WORKER_PARAMS: JSON.stringify({ sendingNumbers: String(input.sendingNumbers) }),
        },
      }),
    feed: createFeedTarget({ workerCommand }),
  };
}

/** local/worker.ts for a stage, with the functions' environment and the worker's own settings. */
function workerCommand(input: {
  stage: string;
  metaBaseUrl: string;
  functions: string[];
  logLevel: string;
  env: Record<string, string>;
  extra?: Record<string, string>;
}) {
  return {
    script: WORKER_SCRIPT,
    cwd: REPO_ROOT,
    env: {
      WORKER_STAGE: input.stage,
      WORKER_META_BASE_URL: input.metaBaseUrl,
      WORKER_ENV: JSON.stringify(input.env),
      WORKER_FUNCTIONS: input.functions.join(','),
      LOCAL_LOG_LEVEL: input.logLevel,
      // EMF metrics are log lines on Lambda (CloudWatch Logs ingestion): keep them on, as deployed.
      POWERTOOLS_METRICS_DISABLED: 'false',
      ...input.extra,
    },
  };
}

/**
 * The send path (send, release) and the feedback path (webhook, status) apart, as Lambda runs each
 * function in processes of its own; or all in one, where the feedback path's work delays the
 * send path's timers.
 */
function workerGroups(single: boolean): WorkerGroup[] {
  const group = (name: string, functions: LocalFunctionName[]): WorkerGroup => ({
    name,
    functions,
    receivesWebhooks: functions.includes('webhook'),
  });
  return single
    ? [group('all', ['send', 'release', 'status', 'webhook', 'countJobChanges'])]
    : [group('send', ['send', 'release']), group('feedback', ['status', 'webhook', 'countJobChanges'])];
}

async function deploy(input: DeployInput): Promise<BenchStage> {
  const service = serviceName();
  const resources = await createServiceResources(input);
  const sendQueueUrl = queueOf(resources, 'SendQueue').url;
  const counters = createCampaignCounters(input.documents, {
    tableName: tableOf(resources, 'CampaignsTable').name,
    shards: CAMPAIGN_COUNTER_SHARDS,
  });
  return {
    resourcePrefix: `${service}-${input.stage}-`,
    queues: { send: sendQueueUrl, status: queueOf(resources, 'StatusQueue').url, deferred: queueOf(resources, 'DeferredQueue').url },
    jobs: { name: tableOf(resources, 'JobsTable').name, attributes: { state: 'state', claimedAt: 'claimedAt', acceptedAt: 'acceptedAt' } },
    enqueue: (sqs, batch) => enqueueJobs(sqs, sendQueueUrl, batch),
    deliveredOrRead: async (campaignId) => {
      const figures = campaignFigures(await counters.read(campaignId));
      return (figures.byState.delivered ?? 0) + (figures.byState.read ?? 0);
    },
  };
}

/** Validates the jobs as the send function will (the producer helper), then enqueues them. */
async function enqueueJobs(sqs: SQSClient, queueUrl: string, batch: JobBatch): Promise<number> {
  const prepared = prepareJobs(sendJobs(batch), { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] }, batch.createdAt);
  if (prepared.rejected.length > 0) throw new Error(`benchmark jobs rejected: ${JSON.stringify(prepared.rejected[0])}`);
  const report = await enqueuePrepared(sqs, queueUrl, prepared.valid);
  if (report.failed.length > 0) throw new Error(`${report.failed.length} jobs could not be enqueued: ${report.failed[0]!.error}`);
  return report.enqueued;
}

function sendJobs(batch: JobBatch): SendJobInput[] {
  return batch.recipients.map(({ phone, bodyText }) => ({
    schemaVersion: 1,
    campaignId: batch.campaignId,
    recipient: phone,
    phoneNumberId: batch.phoneNumberId,
    template: {
      name: batch.template.name,
      language: { code: batch.template.languageCode },
      components: [{ type: 'body', parameters: [{ type: 'text', text: bodyText }] }],
    },
    validitySeconds: VALIDITY_SECONDS,
    callbackData: `campaign=${batch.campaignId}`,
  }));
}

/** Memory per function (provider default, function override) and Lambda logging as osls compiles it. */
function lambdaSettings(): LambdaSettings {
  const file = readServerlessFile();
  const fallback = Number(file.provider?.memorySize ?? 1024);
  const params = file.params?.default ?? {};
  // A function's own `logs` replaces `provider.logs.lambda` as a whole; `${param:x}` resolves from the default params.
  const resolve = (logging: Record<string, unknown> | undefined): LambdaLogging =>
    Object.fromEntries(
      Object.entries(logging ?? {}).map(([key, value]) => [
        key,
        String(value).replace(/\$\{param:(\w+)\}/g, (_all, name: string) => String(params[name])),
      ]),
    ) as LambdaLogging;
  const functions = Object.entries(file.functions ?? {});
  return {
    memoryMb: Object.fromEntries(functions.map(([name, fn]) => [name, Number(fn.memorySize ?? fallback)])),
    logging: Object.fromEntries(functions.map(([name, fn]) => [name, resolve(fn.logs ?? file.provider?.logs?.lambda)])),
  };
}
