import { randomBytes } from 'node:crypto';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import { createReleaseHandler } from '../functions/release.ts';
import { createSendHandler } from '../functions/send.ts';
import { createStatusHandler } from '../functions/status.ts';
import { createSweepHandler } from '../functions/sweep.ts';
import { createWebhookHandler } from '../functions/webhook.ts';
import { createJobQueues } from '../lib/adapters/job-queues.ts';
import { type AwsClients, createAwsClients } from '../lib/aws-clients.ts';
import { loadReleaseConfig, loadSendConfig, loadStatusConfig, loadSweepConfig, loadWebhookConfig } from '../lib/config.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { createSendRuntime } from '../lib/send/runtime.ts';
import type { SendRuntime } from '../lib/send/send-batch.ts';
import { createStatusRuntime, createSweepDeps } from '../lib/status/runtime.ts';
import type { StatusRuntime } from '../lib/status/status-batch.ts';
import type { SweepResult } from '../lib/status/sweep-dropped.ts';
import { createWebhookDeps } from '../lib/webhook/runtime.ts';
import { type FunctionUrlHandler, type LocalFunctionUrl, startFunctionUrl } from './function-url.ts';
import { type EventSource, type SqsLambdaHandler, startEventSource } from './poller.ts';
import type { RequestCounter } from './request-counter.ts';
import { localFunctionSettings, serviceName, type LocalFunctionSettings } from './serverless-config.ts';
import { clientsFor, createResources, type LocalEndpoints, type LocalResources, localStackEnv, queueOf } from './stack/index.ts';
import { createLambdaContext } from './stack/lambda-context.ts';

/** Secrets as stored in the local SSM stand-in, as an operator stores the real ones on AWS. */
export const LOCAL_SECRETS = {
  accessToken: 'local-dev-token',
  appSecret: 'local-app-secret',
  verifyToken: 'local-verify-token',
} as const;

export type LocalFunctionName = 'send' | 'release' | 'status' | 'webhook';
export const LOCAL_FUNCTION_NAMES: readonly LocalFunctionName[] = ['send', 'release', 'status', 'webhook'];

export interface LocalDeploymentOptions {
  endpoints: LocalEndpoints;
  /** The MM API simulator's base URL (stands in for https://graph.facebook.com). */
  metaBaseUrl: string;
  /** Unique per test file; `local` for the demo. */
  stage?: string;
  /** Property changes per logical id, e.g. a short VisibilityTimeout for tests. */
  resourceOverrides?: Record<string, Record<string, unknown>>;
  /** Extra or changed environment for every function (README's configuration table). */
  env?: Record<string, string>;
  /** Wraps the send handler, e.g. to inject a crash. */
  wrapSendHandler?: (handler: SqsLambdaHandler) => SqsLambdaHandler;
  /** Poller tweaks (tests use a shorter function timeout with a short visibility timeout). */
  functionTimeoutMs?: number;
  maximumConcurrency?: number;
  /**
   * Replaces the batching window of every event source that serverless.yml gives one (seconds).
   * Tests pass a fraction of a second so that each status hop does not wait out the deployed
   * window; the demo and the benchmark leave it unset and run serverless.yml's values.
   */
  maximumBatchingWindowSeconds?: number;
  logLevel?: LogLevel;
  now?: () => number;
  /**
   * The send function's sleep (it waits for its send time with it), e.g. one that oversleeps
   * the way a stalled event loop does.
   */
  sendSleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The release function's clock, when a test lets it run ahead to release long waits at once. */
  releaseNow?: () => number;
  /** The token stored in SSM; `null` stores none (a missing parameter). Default: the simulator's token. */
  accessToken?: string | null;
  /** Counts every SDK request the functions and the event sources make. */
  requestCounter?: RequestCounter;
  /**
   * Fails chosen SDK calls of the functions, for faults the stand-ins cannot produce (e.g.
   * DynamoDB throttling): return an error to throw instead of sending the request.
   */
  injectFault?: (service: 'sqs' | 'dynamodb' | 'ssm', command: string, input: Record<string, unknown>) => Error | undefined;
  /** Start the event sources and the webhook URL (default true); false lets a test drive the handlers itself. */
  startPollers?: boolean;
  /**
   * The functions whose event sources (and webhook URL) this process runs; default all. On
   * Lambda every function runs in processes of its own: the benchmark runs the send path and
   * the feedback path in two processes, so that neither stalls the other's event loop.
   */
  functions?: readonly LocalFunctionName[];
  /** Poll the status queue (default true); false leaves its messages for a test to read. */
  startStatusPoller?: boolean;
  /** Run the scheduled sweep this often (ms); default: not at all (tests call `sweep()`). */
  sweepEveryMs?: number;
}

export interface LocalDeployment {
  stage: string;
  resources: LocalResources;
  /** The send function's resolved environment. */
  sendEnv: Record<string, string>;
  /** The handlers exactly as the event sources call them. */
  sendHandler: SqsLambdaHandler;
  sendRuntime: SendRuntime;
  releaseHandler: SqsLambdaHandler;
  statusHandler: SqsLambdaHandler;
  statusRuntime: StatusRuntime;
  webhookHandler: FunctionUrlHandler;
  sources: { send?: EventSource; release?: EventSource; status?: EventSource };
  /** The webhook function's URL, where the simulator posts Meta's webhooks. */
  webhookUrl?: string;
  /** Invokes the scheduled sweep once. */
  sweep(): Promise<SweepResult>;
  stop(): Promise<void>;
}

/**
 * "Deploys" the service onto the local stack the way serverless.yml deploys it onto AWS: the
 * same queues and tables (from infra/*.yml), the same function environments and event source
 * settings (from serverless.yml), the real handlers, a function URL for the webhook, and the
 * secrets in (local) SSM.
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
  const settings = (name: string) => localFunctionSettings(name, resources, stage);
  const envOf = (fn: LocalFunctionSettings) => ({ ...process.env, ...fn.environment, ...options.env }) as Record<string, string>;
  const [send, release, status, webhook, sweep] = await Promise.all([settings('send'), settings('release'), settings('status'), settings('webhook'), settings('sweep')]);
  const sendEnv: Record<string, string> = { ...envOf(send), META_GRAPH_BASE_URL: options.metaBaseUrl, ...options.env };
  const webhookEnv = envOf(webhook);

  const clients = clientsFor(options.endpoints);
  await putSecrets(clients.ssm, [
    [sendEnv.META_ACCESS_TOKEN_PARAMETER!, options.accessToken === undefined ? LOCAL_SECRETS.accessToken : options.accessToken],
    [webhookEnv.META_APP_SECRET_PARAMETER!, LOCAL_SECRETS.appSecret],
    [webhookEnv.WEBHOOK_VERIFY_TOKEN_PARAMETER!, LOCAL_SECRETS.verifyToken],
  ]);
  const functionClients = (env: Record<string, string>): AwsClients => {
    const created = createAwsClients(env);
    for (const [service, client] of [['sqs', created.sqs], ['dynamodb', created.dynamodb], ['ssm', created.ssm]] as const) {
      options.requestCounter?.instrument(client, service);
      if (options.injectFault) injectFaults(client, service, options.injectFault);
    }
    return created;
  };

  const logLevel = options.logLevel ?? (process.env.LOCAL_LOG_LEVEL as LogLevel | undefined) ?? 'SILENT';
  const now = options.now ? { now: options.now } : {};
  // Concurrent local invocations share one Metrics object (on Lambda each has its own), so one
  // may publish another's metrics and the other then warns that it has none: not worth showing.
  const quietMetrics = (name: string) => createMetrics(name, { logger: { ...console, warn: () => {} } });

  const sendObservability = { logger: createLogger('send', logLevel), metrics: quietMetrics('send') };
  const sendRuntime = createSendRuntime({
    config: loadSendConfig(sendEnv),
    clients: functionClients(sendEnv),
    ...sendObservability,
    ...now,
    ...(options.sendSleep ? { sleep: options.sendSleep } : {}),
  });
  const realSendHandler = createSendHandler(() => sendRuntime, sendObservability) as SqsLambdaHandler;
  const sendHandler = options.wrapSendHandler ? options.wrapSendHandler(realSendHandler) : realSendHandler;

  const releaseEnv = envOf(release);
  const releaseDeps = { queues: createJobQueues(functionClients(releaseEnv).sqs, loadReleaseConfig(releaseEnv)), now: options.releaseNow ?? options.now ?? Date.now };
  const releaseHandler = createReleaseHandler(() => releaseDeps, createLogger('release', logLevel)) as SqsLambdaHandler;

  const statusEnv = envOf(status);
  const statusObservability = { logger: createLogger('status', logLevel), metrics: quietMetrics('status') };
  const statusRuntime = createStatusRuntime({ config: loadStatusConfig(statusEnv), clients: functionClients(statusEnv), ...statusObservability, ...now });
  const statusHandler = createStatusHandler(() => statusRuntime, statusObservability) as SqsLambdaHandler;

  const webhookLogger = createLogger('webhook', logLevel);
  const webhookDeps = createWebhookDeps({ config: loadWebhookConfig(webhookEnv), clients: functionClients(webhookEnv), logger: webhookLogger, metrics: quietMetrics('webhook'), ...now });
  const webhookHandler = createWebhookHandler(() => webhookDeps, webhookLogger) as FunctionUrlHandler;

  const sweepEnv = envOf(sweep);
  const sweepLogger = createLogger('sweep', logLevel);
  const sweepDeps = createSweepDeps({ config: loadSweepConfig(sweepEnv), clients: functionClients(sweepEnv), logger: sweepLogger, ...now });
  const sweepHandler = createSweepHandler(() => sweepDeps, sweepLogger);
  const runSweep = () => sweepHandler({}, createLambdaContext({ functionName: 'sweep', timeoutMs: sweep.timeoutMs }));

  const sources: LocalDeployment['sources'] = {};
  let functionUrl: LocalFunctionUrl | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  if (options.startPollers !== false) {
    // The event sources' receives and deletes are billed SQS requests on AWS too.
    options.requestCounter?.instrument(clients.sqs, 'sqs');
    const poll = (fn: LocalFunctionSettings, handler: SqsLambdaHandler) => {
      if (!fn.sqs) throw new Error(`function ${fn.name} has no SQS event in serverless.yml`);
      const queue = queueOf(resources, fn.sqs.queue);
      return startEventSource({
        sqs: clients.sqs,
        queueUrl: queue.url,
        queueArn: queue.arn,
        handler,
        functionName: fn.name,
        batchSize: fn.sqs.batchSize,
        maximumBatchingWindowSeconds: fn.sqs.maximumBatchingWindowSeconds > 0 ? (options.maximumBatchingWindowSeconds ?? fn.sqs.maximumBatchingWindowSeconds) : 0,
        maximumConcurrency: fn.name === 'send' ? (options.maximumConcurrency ?? fn.sqs.maximumConcurrency) : fn.sqs.maximumConcurrency,
        reportBatchItemFailures: fn.sqs.reportBatchItemFailures,
        functionTimeoutMs: options.functionTimeoutMs ?? fn.timeoutMs,
        onError: () => {},
      });
    };
    const runs = (name: LocalFunctionName) => !options.functions || options.functions.includes(name);
    if (runs('send')) sources.send = poll(send, sendHandler);
    if (runs('release')) sources.release = poll(release, releaseHandler);
    if (runs('status') && options.startStatusPoller !== false) sources.status = poll(status, statusHandler);
    if (runs('webhook')) functionUrl = await startFunctionUrl(webhookHandler, { functionName: 'webhook', timeoutMs: webhook.timeoutMs });
    if (options.sweepEveryMs) sweepTimer = setInterval(() => void runSweep().catch(() => {}), options.sweepEveryMs);
  }
  return {
    stage,
    resources,
    sendEnv,
    sendHandler,
    sendRuntime,
    releaseHandler,
    statusHandler,
    statusRuntime,
    webhookHandler,
    sources,
    ...(functionUrl ? { webhookUrl: functionUrl.url } : {}),
    sweep: runSweep,
    async stop() {
      clearInterval(sweepTimer);
      await Promise.all([sources.send?.stop(), sources.release?.stop(), sources.status?.stop(), functionUrl?.stop()]);
      clients.destroy();
    },
  };
}

/** An SDK middleware that throws the injected error instead of sending the request. */
function injectFaults(client: { middlewareStack: { add: (mw: never, options: { step: 'initialize'; name: string }) => void } }, service: 'sqs' | 'dynamodb' | 'ssm', inject: NonNullable<LocalDeploymentOptions['injectFault']>): void {
  const middleware = (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input?: Record<string, unknown> }) => {
    const error = inject(service, context.commandName ?? 'unknown', args.input ?? {});
    if (error) throw error;
    return next(args);
  };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: `faultInjector-${service}` });
}

async function putSecrets(ssm: ReturnType<typeof clientsFor>['ssm'], secrets: Array<[name: string, value: string | null]>): Promise<void> {
  for (const [name, value] of secrets) {
    if (value !== null) await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true }));
  }
}
