import { randomBytes } from 'node:crypto';
import type { LogLevel } from '@aws-lambda-powertools/logger/types';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import {
  clientsFor,
  createLambdaContext,
  type DynamoDbStreamHandler,
  type EventSource,
  type FunctionUrlHandler,
  type LocalEndpoints,
  type LocalResources,
  localStackEnv,
  queueOf,
  type RequestCounter,
  type SqsLambdaHandler,
  type StreamEventSource,
  startEventSource,
  startFunctionUrl,
  startStreamEventSource,
  tableOf,
} from 'lambda-local-kit';
import { campaignsFunction } from '../functions/campaigns.ts';
import { countJobChangesFunction } from '../functions/count-job-changes.ts';
import { feederFunction } from '../functions/feeder.ts';
import { releaseFunction } from '../functions/release.ts';
import { sendFunction } from '../functions/send.ts';
import { statusFunction } from '../functions/status.ts';
import { sweepFunction } from '../functions/sweep.ts';
import { webhookFunction } from '../functions/webhook.ts';
import type { TickResult } from '../lib/campaigns/tick.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import type { SendRuntime } from '../lib/send/context.ts';
import type { StatusRuntime } from '../lib/status/context.ts';
import type { SweepResult } from '../lib/sweep/sweep-dropped.ts';
import { type AwsClients, createAwsClients } from '../lib/wiring/aws-clients.ts';
import { createS3Client } from '../lib/wiring/campaigns.ts';
import type { FunctionDefinition, FunctionName, LoggerOnly, Observability, WiringContext } from '../lib/wiring/context.ts';
import { createServiceResources, type LocalFunctionSettings, localFunctionSettings } from './serverless-config.ts';

/** Secrets as stored in the local SSM stand-in, as an operator stores the real ones on AWS. */
export const LOCAL_SECRETS = {
  accessToken: 'local-dev-token',
  appSecret: 'local-app-secret',
  verifyToken: 'local-verify-token',
} as const;

export type LocalFunctionName = 'send' | 'release' | 'status' | 'webhook' | 'feeder' | 'countJobChanges';
export const LOCAL_FUNCTION_NAMES: readonly LocalFunctionName[] = ['send', 'release', 'status', 'webhook', 'feeder', 'countJobChanges'];

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
  /** Stage parameters over serverless.yml's defaults (as `--param name=value` on deploy), e.g. `sendingNumbers`. */
  params?: Record<string, string>;
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
  /** The send function's fetch, which calls Meta: e.g. one that records when each request leaves. */
  sendFetch?: typeof fetch;
  /** The release function's clock, when a test lets it run ahead to release long waits at once. */
  releaseNow?: () => number;
  /** The token stored in SSM; `null` stores none (a missing parameter). Default: the simulator's token. */
  accessToken?: string | null;
  /** Counts every SDK request the functions and the event sources make (S3 as `s3`: the campaign functions'). */
  requestCounter?: RequestCounter;
  /** Counts a function's own SDK requests apart (its clients only, not its event source's), e.g. the feeder's and the ticker's. */
  functionRequestCounters?: Partial<Record<FunctionName, RequestCounter>>;
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
  /**
   * When the counting function's stream source starts: with the deployment (default, as on AWS), or
   * at the first read of the figures (`countsCaughtUp`, a campaign tick), from the stream's start,
   * so tests that never read figures do not poll the stream on a shared DynamoDB Local.
   */
  counting?: 'at-start' | 'when-read';
  /** Poll the status queue (default true); false leaves its messages for a test to read. */
  startStatusPoller?: boolean;
  /** Run the scheduled sweep this often (ms); default: not at all (tests call `sweep()`). */
  sweepEveryMs?: number;
  /**
   * The scheduler stand-in: run the campaign ticker this often (ms), as EventBridge runs it every
   * minute; default: not at all (tests call `tickCampaigns()` with their clock).
   */
  campaignTickEveryMs?: number;
  /** The campaign functions' sleep (the ticker waits for a launch's second with it). */
  campaignSleep?: (ms: number) => Promise<void>;
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
  /** The counting function's handler, as the jobs table's stream invokes it. */
  countJobChangesHandler: DynamoDbStreamHandler;
  sources: { send?: EventSource; release?: EventSource; status?: EventSource; feeder?: EventSource; countJobChanges?: StreamEventSource };
  /**
   * Resolves once every job change made before the call is in the campaign counters: the
   * counting function's stream source has caught up. Read figures after it.
   */
  countsCaughtUp(): Promise<void>;
  /** The webhook function's URL, where the simulator posts Meta's webhooks. */
  webhookUrl?: string;
  /** Invokes the scheduled sweep once. */
  sweep(): Promise<SweepResult>;
  /**
   * Invokes the campaign ticker once, as its schedule does every minute. Its figures are the
   * counters as they are: a test that needs every job change counted first (a completion) awaits
   * `countsCaughtUp()`, as a scheduled tick a minute after the changes would find them counted.
   */
  tickCampaigns(): Promise<TickResult>;
  /** The scheduled ticks so far (`campaignTickEveryMs`) and their summed wall time: what Lambda would bill. */
  campaignTicks(): { count: number; totalMs: number };
  /** The campaign functions' resolved environment (tables, queues, Graph API). */
  campaignEnv: Record<string, string>;
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
  const resources = await createServiceResources({
    endpoints: options.endpoints,
    stage,
    ...(options.resourceOverrides ? { overrides: options.resourceOverrides } : {}),
  });
  const clients = clientsFor(options.endpoints);
  const fns = await buildFunctions(resources, stage, options);
  await putSecrets(clients.ssm, [
    [fns.send.env.META_ACCESS_TOKEN_PARAMETER!, options.accessToken === undefined ? LOCAL_SECRETS.accessToken : options.accessToken],
    [fns.webhook.env.META_APP_SECRET_PARAMETER!, LOCAL_SECRETS.appSecret],
    [fns.webhook.env.WEBHOOK_VERIFY_TOKEN_PARAMETER!, LOCAL_SECRETS.verifyToken],
  ]);
  const realSendHandler = fns.send.handler as SqsLambdaHandler;
  const handlers: Handlers = {
    send: options.wrapSendHandler ? options.wrapSendHandler(realSendHandler) : realSendHandler,
    release: fns.release.handler as SqsLambdaHandler,
    status: fns.status.handler as SqsLambdaHandler,
    webhook: fns.webhook.handler as FunctionUrlHandler,
    sweep: () => fns.sweep.handler({}, createLambdaContext({ functionName: 'sweep', timeoutMs: fns.sweep.settings.timeoutMs })),
    campaigns: () =>
      fns.campaigns.handler({}, createLambdaContext({ functionName: 'campaigns', timeoutMs: fns.campaigns.settings.timeoutMs })),
    feeder: fns.feeder.handler as SqsLambdaHandler,
    countJobChanges: fns.countJobChanges.handler as DynamoDbStreamHandler,
  };
  const triggers = options.startPollers === false ? undefined : await startTriggers({ fns, handlers, resources, clients, options });
  return {
    stage,
    resources,
    sendEnv: fns.send.env,
    sendHandler: handlers.send,
    sendRuntime: fns.send.runtime,
    releaseHandler: handlers.release,
    statusHandler: handlers.status,
    statusRuntime: fns.status.runtime,
    webhookHandler: handlers.webhook,
    countJobChangesHandler: handlers.countJobChanges,
    sources: triggers?.sources ?? {},
    async countsCaughtUp() {
      const counts = triggers?.startCounting();
      if (!counts) throw new Error('the counting function does not run in this deployment (startPollers false, or not in `functions`)');
      await counts.caughtUp();
    },
    ...(triggers?.functionUrl ? { webhookUrl: triggers.functionUrl.url } : {}),
    sweep: handlers.sweep,
    tickCampaigns() {
      triggers?.startCounting();
      return handlers.campaigns();
    },
    campaignTicks: () => ({ ...(triggers?.ticks ?? { count: 0, totalMs: 0 }) }),
    campaignEnv: fns.campaigns.env,
    async stop() {
      await triggers?.stop();
      clients.destroy();
    },
  };
}

interface Handlers {
  send: SqsLambdaHandler;
  release: SqsLambdaHandler;
  status: SqsLambdaHandler;
  webhook: FunctionUrlHandler;
  sweep: () => Promise<SweepResult>;
  campaigns: () => Promise<TickResult>;
  feeder: SqsLambdaHandler;
  countJobChanges: DynamoDbStreamHandler;
}

interface TriggerContext {
  fns: Awaited<ReturnType<typeof buildFunctions>>;
  handlers: Handlers;
  resources: LocalResources;
  clients: ReturnType<typeof clientsFor>;
  options: LocalDeploymentOptions;
}

/** What invokes the functions, as serverless.yml's events do: SQS event sources, the webhook's function URL, the sweep's schedule. */
async function startTriggers({ fns, handlers, resources, clients, options }: TriggerContext) {
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
      maximumBatchingWindowSeconds: batchingWindow(fn.sqs.maximumBatchingWindowSeconds, options),
      maximumConcurrency: fn.name === 'send' ? (options.maximumConcurrency ?? fn.sqs.maximumConcurrency) : fn.sqs.maximumConcurrency,
      reportBatchItemFailures: fn.sqs.reportBatchItemFailures,
      functionTimeoutMs: options.functionTimeoutMs ?? fn.timeoutMs,
      onError: () => {},
    });
  };
  const runs = (name: LocalFunctionName) => !options.functions || options.functions.includes(name);
  const sources: LocalDeployment['sources'] = {};
  if (runs('send')) sources.send = poll(fns.send.settings, handlers.send);
  if (runs('release')) sources.release = poll(fns.release.settings, handlers.release);
  if (runs('status') && options.startStatusPoller !== false) sources.status = poll(fns.status.settings, handlers.status);
  if (runs('feeder')) sources.feeder = poll(fns.feeder.settings, handlers.feeder);
  const startCounting = () => {
    if (!runs('countJobChanges')) return undefined;
    sources.countJobChanges ??= streamSource({
      fn: fns.countJobChanges.settings,
      handler: handlers.countJobChanges,
      resources,
      clients,
      options,
    });
    return sources.countJobChanges;
  };
  if (options.counting !== 'when-read') startCounting();
  const functionUrl = runs('webhook')
    ? await startFunctionUrl(handlers.webhook, { functionName: 'webhook', timeoutMs: fns.webhook.settings.timeoutMs })
    : undefined;
  const sweepTimer = options.sweepEveryMs ? setInterval(() => void handlers.sweep().catch(() => {}), options.sweepEveryMs) : undefined;
  const ticks = { count: 0, totalMs: 0 };
  const tick = () => {
    const started = performance.now();
    void handlers
      .campaigns()
      .catch(() => {})
      .finally(() => {
        ticks.count += 1;
        ticks.totalMs += performance.now() - started;
      });
  };
  const tickTimer = options.campaignTickEveryMs ? setInterval(tick, options.campaignTickEveryMs) : undefined;
  return {
    sources,
    startCounting,
    functionUrl,
    ticks,
    async stop() {
      clearInterval(sweepTimer);
      clearInterval(tickTimer);
      await Promise.all([
        sources.send?.stop(),
        sources.release?.stop(),
        sources.status?.stop(),
        sources.feeder?.stop(),
        sources.countJobChanges?.stop(),
        functionUrl?.stop(),
      ]);
    },
  };
}

/** An event source's batching window: serverless.yml's, or the options' replacement where it sets one. */
function batchingWindow(configuredSeconds: number, options: LocalDeploymentOptions): number {
  return configuredSeconds > 0 ? (options.maximumBatchingWindowSeconds ?? configuredSeconds) : 0;
}

/**
 * The counting function's event source on the jobs table's stream, with serverless.yml's settings;
 * a batch given up is reported to its on-failure queue as Lambda reports it.
 */
function streamSource(context: {
  fn: LocalFunctionSettings;
  handler: DynamoDbStreamHandler;
  resources: LocalResources;
  clients: ReturnType<typeof clientsFor>;
  options: LocalDeploymentOptions;
}): StreamEventSource {
  const { fn, handler, resources, clients, options } = context;
  const stream = fn.stream;
  if (!stream) throw new Error(`function ${fn.name} has no stream event in serverless.yml`);
  const onFailureQueue = stream.onFailureQueue ? queueOf(resources, stream.onFailureQueue).url : undefined;
  return startStreamEventSource({
    endpoint: options.endpoints.dynamodb,
    tableName: tableOf(resources, stream.table).name,
    handler,
    functionName: fn.name,
    batchSize: stream.batchSize,
    maximumBatchingWindowSeconds: batchingWindow(stream.maximumBatchingWindowSeconds, options),
    startingPosition: stream.startingPosition,
    maximumRetryAttempts: stream.maximumRetryAttempts,
    bisectBatchOnFunctionError: stream.bisectBatchOnFunctionError,
    ...(stream.filterPatterns ? { filterPatterns: stream.filterPatterns } : {}),
    functionTimeoutMs: options.functionTimeoutMs ?? fn.timeoutMs,
    ...(onFailureQueue
      ? {
          onFailure: (record: unknown) =>
            void clients.sqs
              .send(new SendMessageCommand({ QueueUrl: onFailureQueue, MessageBody: JSON.stringify(record) }))
              .catch((error: unknown) => console.error(`[${fn.name}] on-failure record not sent`, error)),
        }
      : {}),
    onError: () => {},
  });
}

/** One function as deployed locally: its serverless.yml settings, resolved environment, runtime and handler. */
interface LocalFunction<Runtime, Handler> {
  settings: LocalFunctionSettings;
  env: Record<string, string>;
  runtime: Runtime;
  handler: Handler;
}

/**
 * Builds every function the way Lambda does (functions/*.ts: each definition wires its runtime
 * and its middy handler once), with serverless.yml's environment, SDK clients that count and fail
 * requests as the options say, and the options' test seams.
 */
async function buildFunctions(resources: LocalResources, stage: string, options: LocalDeploymentOptions) {
  const logLevel = options.logLevel ?? (process.env.LOCAL_LOG_LEVEL as LogLevel | undefined) ?? 'SILENT';
  const seams: Partial<Record<FunctionName, Pick<WiringContext<LoggerOnly>, 'now' | 'sleep' | 'fetch' | 's3'>>> = {
    send: {
      ...(options.now ? { now: options.now } : {}),
      ...(options.sendSleep ? { sleep: options.sendSleep } : {}),
      ...(options.sendFetch ? { fetch: options.sendFetch } : {}),
    },
    release: (options.releaseNow ?? options.now) ? { now: (options.releaseNow ?? options.now)! } : {},
    campaigns: campaignSeams(options),
    feeder: campaignSeams(options),
  };
  const build = async <Runtime, Handler, O extends LoggerOnly>(
    definition: FunctionDefinition<Runtime, Handler, O>,
  ): Promise<LocalFunction<Runtime, Handler>> => {
    const settings = await localFunctionSettings(definition.name, resources, stage, options.params);
    const callsMeta = definition.name === 'send' || definition.name === 'campaigns' || definition.name === 'feeder';
    const metaBaseUrl = callsMeta ? { META_GRAPH_BASE_URL: options.metaBaseUrl } : {};
    const env = { ...process.env, ...settings.environment, ...metaBaseUrl, ...options.env } as Record<string, string>;
    // The definition's own observability, with the local log level, and metrics that stay quiet:
    // concurrent local invocations share one Metrics object (on Lambda each has its own), so one may
    // publish another's metrics and the other then warns that it has none. Every definition's
    // observability is a part of this one.
    const observability = {
      logger: createLogger(definition.name, logLevel),
      metrics: createMetrics(definition.name, { logger: { ...console, warn: () => {} } }),
    } as Observability as unknown as O;
    const seam = seams[definition.name] ?? (options.now ? { now: options.now } : {});
    const counters = countersFor(definition.name, options);
    const s3 = definition.name === 'campaigns' || definition.name === 'feeder' ? { s3: countedS3(env, counters) } : {};
    const runtime = definition.createRuntime({ env, clients: functionClients(env, options, counters), ...observability, ...seam, ...s3 });
    return { settings, env, runtime, handler: definition.createHandler(() => runtime, observability) };
  };
  const [send, release, status, webhook, sweep, campaigns, feeder, countJobChanges] = await Promise.all([
    build(sendFunction),
    build(releaseFunction),
    build(statusFunction),
    build(webhookFunction),
    build(sweepFunction),
    build(campaignsFunction),
    build(feederFunction),
    build(countJobChangesFunction),
  ]);
  return { send, release, status, webhook, sweep, campaigns, feeder, countJobChanges };
}

function campaignSeams(options: LocalDeploymentOptions): Pick<WiringContext<LoggerOnly>, 'now' | 'sleep'> {
  return { ...(options.now ? { now: options.now } : {}), ...(options.campaignSleep ? { sleep: options.campaignSleep } : {}) };
}

/** The counters a function's own clients report to: the deployment's, and the function's own if asked. */
function countersFor(name: FunctionName, options: LocalDeploymentOptions): RequestCounter[] {
  return [options.requestCounter, options.functionRequestCounters?.[name]].filter((counter) => counter !== undefined);
}

/** A function's SDK clients, as on Lambda, with the options' request counters and fault injection. */
function functionClients(env: Record<string, string>, options: LocalDeploymentOptions, counters: RequestCounter[]): AwsClients {
  const created = createAwsClients(env);
  for (const [service, client] of [
    ['sqs', created.sqs],
    ['dynamodb', created.dynamodb],
    ['ssm', created.ssm],
  ] as const) {
    for (const counter of counters) counter.instrument(client, service);
    if (options.injectFault) injectFaults(client, service, options.injectFault);
  }
  return created;
}

/** The campaign functions' S3 client, built as on Lambda, counted as `s3` (audience GETs, report parts and merges are billed requests). */
function countedS3(env: Record<string, string>, counters: RequestCounter[]): S3Client {
  const s3 = createS3Client(env);
  for (const counter of counters) counter.instrument(s3, 's3');
  return s3;
}

/** An SDK middleware that throws the injected error instead of sending the request. */
function injectFaults(
  client: { middlewareStack: { add: (mw: never, options: { step: 'initialize'; name: string }) => void } },
  service: 'sqs' | 'dynamodb' | 'ssm',
  inject: NonNullable<LocalDeploymentOptions['injectFault']>,
): void {
  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: { input?: Record<string, unknown> }) => {
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
