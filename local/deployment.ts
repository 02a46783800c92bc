import { randomBytes } from 'node:crypto';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { createReleaseHandler } from '../functions/release.ts';
import { createSendHandler } from '../functions/send.ts';
import { createJobQueues } from '../lib/adapters/job-queues.ts';
import { createAwsClients } from '../lib/aws-clients.ts';
import { loadReleaseConfig, loadSendConfig } from '../lib/config.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { createSendRuntime } from '../lib/send/runtime.ts';
import type { SendRuntime } from '../lib/send/send-batch.ts';
import { type EventSource, type SqsLambdaHandler, startEventSource } from './poller.ts';
import type { RequestCounter } from './request-counter.ts';
import { localFunctionSettings, serviceName } from './serverless-config.ts';
import { clientsFor, createResources, type LocalEndpoints, type LocalResources, localStackEnv, queueOf } from './stack/index.ts';

/** The access token the simulator accepts by default; stored in the local SSM stand-in, as on AWS. */
export const LOCAL_ACCESS_TOKEN = 'local-dev-token';

export interface LocalDeploymentOptions {
  endpoints: LocalEndpoints;
  /** The MM API simulator's base URL (stands in for https://graph.facebook.com). */
  metaBaseUrl: string;
  /** Unique per test file; `local` for the demo. */
  stage?: string;
  /** Property changes per logical id, e.g. a short VisibilityTimeout for tests. */
  resourceOverrides?: Record<string, Record<string, unknown>>;
  /** Extra or changed function environment (README's configuration table). */
  env?: Record<string, string>;
  /** Wraps the send handler, e.g. to inject a crash. */
  wrapSendHandler?: (handler: SqsLambdaHandler) => SqsLambdaHandler;
  /** Poller tweaks (tests use a shorter function timeout with a short visibility timeout). */
  functionTimeoutMs?: number;
  maximumConcurrency?: number;
  logLevel?: LogLevel;
  now?: () => number;
  /** The release function's clock, when a test lets it run ahead to release long waits at once. */
  releaseNow?: () => number;
  /** The token stored in SSM; `null` stores none (a missing parameter). Default: the simulator's token. */
  accessToken?: string | null;
  /** Counts every SDK request the functions and the event sources make. */
  requestCounter?: RequestCounter;
  /** Start the event sources (default true); false lets a test drive the handler itself. */
  startPollers?: boolean;
}

export interface LocalDeployment {
  stage: string;
  resources: LocalResources;
  /** The send function's resolved environment. */
  sendEnv: Record<string, string>;
  /** The send function's handler and its runtime, exactly as the event source calls it. */
  sendHandler: SqsLambdaHandler;
  sendRuntime: SendRuntime;
  releaseHandler: SqsLambdaHandler;
  sources: { send?: EventSource; release?: EventSource };
  /** Resolves when both queues are empty and nothing is in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * "Deploys" the service onto the local stack the way serverless.yml deploys it onto AWS: the
 * same queues and tables (from infra/*.yml), the same function environments and event source
 * settings (from serverless.yml), the real handlers, and the access token in (local) SSM.
 */
export async function deployLocally(options: LocalDeploymentOptions): Promise<LocalDeployment> {
  const stage = options.stage ?? `t${randomBytes(4).toString('hex')}`;
  // The functions' SDK clients read region, credentials and endpoints from the environment, as on Lambda.
  Object.assign(process.env, localStackEnv(options.endpoints));
  if (!process.env.POWERTOOLS_METRICS_DISABLED) process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const resources = await createResources({
    sqsEndpoint: options.endpoints.sqs,
    dynamoEndpoint: options.endpoints.dynamodb,
    service: serviceName(),
    stage,
    ...(options.resourceOverrides ? { overrides: options.resourceOverrides } : {}),
  });
  const send = localFunctionSettings('send', resources, stage);
  const release = localFunctionSettings('release', resources, stage);
  const sendEnv = { ...process.env, ...send.environment, META_GRAPH_BASE_URL: options.metaBaseUrl, ...options.env } as Record<string, string>;
  const releaseEnv = { ...process.env, ...release.environment } as Record<string, string>;

  const clients = clientsFor(options.endpoints);
  const functionClients = (env: Record<string, string>) => {
    const created = createAwsClients(env);
    options.requestCounter?.instrument(created.sqs, 'sqs');
    options.requestCounter?.instrument(created.dynamodb, 'dynamodb');
    options.requestCounter?.instrument(created.ssm, 'ssm');
    return created;
  };
  if (options.accessToken !== null) {
    await clients.ssm.send(
      new PutParameterCommand({ Name: sendEnv.META_ACCESS_TOKEN_PARAMETER, Value: options.accessToken ?? LOCAL_ACCESS_TOKEN, Type: 'SecureString', Overwrite: true }),
    );
  }

  const logLevel = options.logLevel ?? 'SILENT';
  const sendLogger = createLogger('send', logLevel);
  // Concurrent local invocations share one Metrics object (on Lambda each has its own), so one
  // may publish another's metrics and the other then warns that it has none: not worth showing.
  const sendMetrics = createMetrics('send', { logger: { ...console, warn: () => {} } });
  const sendRuntime = createSendRuntime({
    config: loadSendConfig(sendEnv),
    clients: functionClients(sendEnv),
    logger: sendLogger,
    metrics: sendMetrics,
    ...(options.now ? { now: options.now } : {}),
  });
  const realSendHandler = createSendHandler(() => sendRuntime, { logger: sendLogger, metrics: sendMetrics }) as SqsLambdaHandler;
  const sendHandler = options.wrapSendHandler ? options.wrapSendHandler(realSendHandler) : realSendHandler;
  const releaseDeps = { queues: createJobQueues(functionClients(releaseEnv).sqs, loadReleaseConfig(releaseEnv)), now: options.releaseNow ?? options.now ?? Date.now };
  const releaseHandler = createReleaseHandler(() => releaseDeps, createLogger('release', logLevel)) as SqsLambdaHandler;

  const sources: LocalDeployment['sources'] = {};
  if (options.startPollers !== false) {
    // The event sources' receives and deletes are billed SQS requests on AWS too.
    options.requestCounter?.instrument(clients.sqs, 'sqs');
    const sendQueue = queueOf(resources, send.queue);
    const deferredQueue = queueOf(resources, release.queue);
    sources.send = startEventSource({
      sqs: clients.sqs,
      queueUrl: sendQueue.url,
      queueArn: sendQueue.arn,
      handler: sendHandler,
      functionName: 'send',
      batchSize: send.batchSize,
      maximumConcurrency: options.maximumConcurrency ?? send.maximumConcurrency,
      reportBatchItemFailures: send.reportBatchItemFailures,
      functionTimeoutMs: options.functionTimeoutMs ?? send.timeoutMs,
      onError: () => {},
    });
    sources.release = startEventSource({
      sqs: clients.sqs,
      queueUrl: deferredQueue.url,
      queueArn: deferredQueue.arn,
      handler: releaseHandler,
      functionName: 'release',
      batchSize: release.batchSize,
      maximumConcurrency: release.maximumConcurrency,
      reportBatchItemFailures: release.reportBatchItemFailures,
      functionTimeoutMs: options.functionTimeoutMs ?? release.timeoutMs,
      onError: () => {},
    });
  }
  return {
    stage,
    resources,
    sendEnv,
    sendHandler,
    sendRuntime,
    releaseHandler,
    sources,
    async idle() {
      await Promise.all([sources.send?.idle(), sources.release?.idle()]);
    },
    async stop() {
      await Promise.all([sources.send?.stop(), sources.release?.stop()]);
      clients.destroy();
    },
  };
}
