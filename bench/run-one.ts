/**
 * One benchmark run at one ceiling: the local stack and the MM API simulator, the service's
 * functions in a child process (local/worker.ts), `jobs` jobs from the producer helper, and
 * everything measured until every job is accepted and its webhooks applied. Stops every process
 * it started, also on errors. See bench/run.ts for the command line and BENCHMARKS.md for results.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createCampaignCounters } from '../lib/adapters/campaign-counters.ts';
import { campaignFigures } from '../lib/domain/campaign-figures.ts';
import type { SendJobInput } from '../lib/domain/job-contract.ts';
import { maxConcurrencyFor } from '../lib/domain/pacing.ts';
import { SANCTIONED_COUNTRIES } from '../lib/domain/phone.ts';
import { enqueuePrepared, prepareJobs } from '../lib/producer.ts';
import { RequestCounter } from '../local/request-counter.ts';
import { readServerlessFile, serviceName } from '../local/serverless-config.ts';
import type { ScenarioInput } from '../local/simulator/scenario.ts';
import { clientsFor, createResources, LOCAL_CREDENTIALS, LOCAL_REGION, localStackEnv, queueOf, REPO_ROOT, startLocalStack, tableOf } from '../local/stack/index.ts';
import type { LocalFunctionName } from '../local/deployment.ts';
import type { EventSourceStats } from '../local/poller.ts';
import type { InstrumentReport, RequestBucket } from './attribution.ts';
import type { LambdaLogging } from './cost-model.ts';
import { findChildPids, machineBusyPercent, ProcSampler, readProcessCpuMs } from './proc-sampler.ts';
import type { SimProgress, SimReply, SimRequest, SimSummary } from './simulator-process.ts';
import { maxInWindow, percentile, round, steadyRate } from './stats.ts';
import { mergeInstrument, mergeLogBytes, mergeStopped } from './worker-merge.ts';

export const PHONE_NUMBER_ID = '100000000000001';
export const TEMPLATE = 'bench_offer';
const STAGE = 'bench';

export interface RunOptions {
  label: string;
  jobs: number;
  /** The ceiling: the simulator's ratePerSecond and the worker's PHONE_NUMBER_RATE_PER_SECOND. */
  rate: number;
  /** WORKER_CONCURRENCY (the send event source's maximumConcurrency); default: derived from the rate. */
  concurrency?: number;
  /** `burst`: all jobs enqueued at once (a campaign launch); `paced`: enqueued at the ceiling. */
  arrival: 'burst' | 'paced';
  latencyMs: { min: number; max: number };
  /** Share of recipients who read (3 webhooks per message at 1, 2 at 0). */
  readRate: number;
  /** Time between a message's consecutive statuses (sent → delivered → read), ms: Meta's spread them over seconds to hours. */
  statusGapMs: { min: number; max: number };
  /** The functions' log level (INFO as deployed; SILENT to measure CPU without logging). */
  logLevel: 'INFO' | 'SILENT';
  /** Load bench/worker-instrument.ts into the worker (paths, request units, wall times); false measures its overhead. */
  instrument: boolean;
  /** Write a V8 CPU profile of the worker into this directory (node --cpu-prof). */
  profileDir?: string;
  /** Run every function in one worker process instead of the send and feedback paths apart. */
  singleWorker?: boolean;
  /** Extra environment for the functions (WORKER_ENV). */
  env: Record<string, string>;
  /** Give up when nothing moves for this long. */
  stallSeconds: number;
  /** Hard limit for the whole run after enqueueing starts. */
  timeoutSeconds: number;
  /** Stops waiting (the run ends as incomplete, and everything is cleaned up). */
  signal?: AbortSignal;
  say: (line: string) => void;
}

export interface WorkerStopped {
  cpuMs: number;
  maxRssMb: number;
  requests?: Record<string, number>;
  /** The local event sources' counters by function (local/poller.ts); absent in results from before they were printed. */
  eventSources?: Record<string, EventSourceStats>;
}

/** A function's EMF output: bytes and lines, by the `function` dimension of the line. */
export type EmfByFunction = Record<string, { bytes: number; lines: number }>;

export interface RunResult {
  label: string;
  options: Omit<RunOptions, 'say' | 'signal'>;
  startedAt: string;
  completed: boolean;
  incompleteReason?: string;
  durationSeconds: number;
  concurrency: number | 'default';
  /** The machine's busy share (% of all cores) in the 3 s before the run started: other people's work. */
  machineBusyBeforePercent: number;
  sends: {
    accepted: number;
    acceptedRecipients: number;
    apiCalls: number;
    byOutcome: Record<string, number>;
    throttled: number;
    throttledShare: number;
    steadyRate?: number;
    steadyWindow?: { fromMs: number; toMs: number; count: number };
    ofCeiling?: number;
    maxInAnySecond: number;
    /** Per second from the first send: accepted and 130429 counts. */
    timeline: Array<{ second: number; accepted: number; throttled: number; other: number }>;
  };
  latency: {
    enqueueToAcceptedMs: { p50?: number; p99?: number; max?: number };
    claimToAcceptedMs: { p50?: number; p99?: number };
  };
  webhooks: { delivered: number; posted: number; failed: number; perMessage: number };
  jobStates: Record<string, number>;
  worker: {
    stopped?: WorkerStopped;
    cpuMsAfterReady?: number;
    cpuMsPer1000Jobs?: number;
    peakRssMb?: number;
    logBytes: { app: number; emf: number; lines: number; emfLines: number; emfByFunction?: EmfByFunction };
    stderrTail: string[];
  };
  processes: { steady?: ReturnType<ProcSampler['usageBetween']>; whole?: ReturnType<ProcSampler['usageBetween']> };
  requests: {
    /** The worker's own RequestCounter (local/worker.ts prints it when it stops). */
    counted?: Record<string, number>;
    countedSource: 'worker RequestCounter' | 'not available';
    /** The producer's requests, counted in the driver. */
    producer: Record<string, number>;
    instrument?: { buckets: RequestBucket[]; byCommand: Record<string, number>; invocations: InstrumentReport['invocations']; latencyMs: Record<string, { p50?: number; p99?: number; n: number }> };
  };
  items: { sampled: number; jobsItemBytes?: { mean?: number; max?: number } };
  scanError?: string;
  memoryMb: Record<string, number>;
  /** Lambda logging settings by function, from serverless.yml; absent in older results (then treated as Lambda's defaults). */
  lambdaLogging?: Record<string, LambdaLogging>;
}

/** `n` valid jobs for distinct German mobile numbers (+49151 and 8 digits). */
export function benchJobs(campaignId: string, from: number, count: number): SendJobInput[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      schemaVersion: 1,
      campaignId,
      recipient: `+49151${String(i).padStart(8, '0')}`,
      phoneNumberId: PHONE_NUMBER_ID,
      template: { name: TEMPLATE, language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: `Customer ${i}` }] }] },
      validitySeconds: 86_400,
      callbackData: `campaign=${campaignId}`,
    };
  });
}

/** One phone number at the ceiling, the benchmark's template, webhooks on, no injected errors. */
export function benchScenario(options: Pick<RunOptions, 'rate' | 'latencyMs' | 'readRate' | 'statusGapMs'>): ScenarioInput {
  return {
    description: 'benchmark: one number at the ceiling, no injected errors',
    tokens: ['local-dev-token'],
    phoneNumbers: [{ id: PHONE_NUMBER_ID, ratePerSecond: options.rate, displayPhoneNumber: '+15550001111' }],
    templates: [{ name: TEMPLATE, category: 'MARKETING', languages: ['en_US'], bodyParams: 1, ttlSeconds: 86_400 }],
    latencyMs: options.latencyMs,
    pairRateLimit: false,
    rules: [],
    webhooks: {
      appSecret: 'local-app-secret',
      wabaId: '100000000000000',
      delayMs: options.statusGapMs,
      readRate: options.readRate,
      duplicateRate: 0,
      reorder: false,
      maxStatusesPerPost: 1,
      retry: { initialDelayMs: 500, maxAttempts: 8 },
    },
  };
}

/** Memory per function from serverless.yml (provider default, function override). */
export function memoryByFunction(file = readServerlessFile()): Record<string, number> {
  const fallback = Number(file.provider?.memorySize ?? 1024);
  return Object.fromEntries(Object.entries(file.functions ?? {}).map(([name, fn]) => [name, Number(fn.memorySize ?? fallback)]));
}

/**
 * Lambda logging settings per function from serverless.yml, as osls compiles them: a function's
 * own `logs` replaces `provider.logs.lambda` as a whole. `${param:x}` values are resolved from the
 * default params.
 */
export function lambdaLoggingByFunction(file = readServerlessFile()): Record<string, LambdaLogging> {
  const params = file.params?.default ?? {};
  const resolve = (logging: Record<string, unknown> | undefined): LambdaLogging =>
    Object.fromEntries(Object.entries(logging ?? {}).map(([key, value]) => [key, String(value).replace(/\$\{param:(\w+)\}/g, (_all, name: string) => String(params[name]))])) as LambdaLogging;
  return Object.fromEntries(Object.entries(file.functions ?? {}).map(([name, fn]) => [name, resolve(fn.logs ?? file.provider?.logs?.lambda)]));
}

/** DynamoDB's item size: attribute names plus values (numbers ≈ 1 byte per 2 digits + 1). */
export function dynamoItemBytes(item: Record<string, unknown>): number {
  const valueBytes = (value: unknown): number => {
    if (value === null || value === undefined) return 1;
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').replace(/^0+/, '').length / 2) + 1;
    if (typeof value === 'boolean') return 1;
    if (value instanceof Uint8Array) return value.length;
    if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueBytes(v), 0);
    if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + valueBytes(v) + 1, 0);
    if (typeof value === 'object') return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + valueBytes(v) + 1, 0);
    return 0;
  };
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

type SimRequestBody = SimRequest extends infer R ? (R extends SimRequest ? Omit<R, 'id'> : never) : never;

class SimulatorChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly child: ChildProcess;
  readonly url: string;
  constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
    child.on('message', (raw) => {
      const reply = raw as SimReply;
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error));
    });
    child.on('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('simulator process exited'));
      this.pending.clear();
    });
  }

  static async start(scenario: ScenarioInput): Promise<SimulatorChild> {
    const child = fork(new URL('./simulator-process.ts', import.meta.url).pathname, [], {
      env: { ...process.env, BENCH_SIM_SCENARIO: JSON.stringify(scenario) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=2048'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('simulator did not start within 30 s')), 30_000);
      child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
      child.on('message', (message) => {
        const m = message as { type?: string; url?: string };
        if (m.type === 'ready' && m.url) {
          clearTimeout(timer);
          resolve(m.url);
        }
      });
    });
    return new SimulatorChild(child, url);
  }

  request<T>(body: SimRequestBody, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`simulator did not answer ${body.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...body, id } as SimRequest);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request({ type: 'stop' }, 10_000).catch(() => undefined);
    await waitForExit(this.child, 5_000);
  }
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timedOut = await Promise.race([exited.then(() => false), sleep(timeoutMs, undefined, { ref: false }).then(() => true)]);
  if (timedOut && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
}

interface WorkerHandle {
  child: ChildProcess;
  ready: Promise<{ webhookUrl: string; pid: number }>;
  stopped: Promise<WorkerStopped | undefined>;
  logBytes: { app: number; emf: number; lines: number; emfLines: number; emfByFunction: EmfByFunction };
  stderrTail: string[];
}

function startWorker(env: NodeJS.ProcessEnv, instrument: boolean, profileDir: string | undefined): WorkerHandle {
  const preload = ['--import', new URL('./worker-parent-watch.ts', import.meta.url).pathname, ...(instrument ? ['--import', new URL('./worker-instrument.ts', import.meta.url).pathname] : [])];
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [...profile, ...preload, join(REPO_ROOT, 'local/worker.ts')], {
    cwd: REPO_ROOT,
    env,
    // stdin stays a pipe: bench/worker-parent-watch.ts stops the worker when it closes.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const logBytes = { app: 0, emf: 0, lines: 0, emfLines: 0, emfByFunction: {} as EmfByFunction };
  const stderrTail: string[] = [];
  let onReady: (value: { webhookUrl: string; pid: number }) => void = () => {};
  let onStopped: (value: WorkerStopped | undefined) => void = () => {};
  const ready = new Promise<{ webhookUrl: string; pid: number }>((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code, signal) => reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${stderrTail.join('\n')}`)));
  });
  ready.catch(() => undefined);
  const stopped = new Promise<WorkerStopped | undefined>((resolve) => {
    onStopped = resolve;
    child.once('exit', () => resolve(undefined));
  });
  const countLog = (line: string) => {
    const bytes = Buffer.byteLength(line) + 1;
    logBytes.lines += 1;
    if (line.includes('"_aws"')) {
      logBytes.emf += bytes;
      logBytes.emfLines += 1;
      const fn = /"function":"(\w+)"/.exec(line)?.[1] ?? 'unknown';
      const entry = (logBytes.emfByFunction[fn] ??= { bytes: 0, lines: 0 });
      entry.bytes += bytes;
      entry.lines += 1;
    } else logBytes.app += bytes;
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{"ready":true')) {
      const parsed = JSON.parse(line) as { webhookUrl: string; pid: number };
      onReady(parsed);
      return;
    }
    if (line.startsWith('{"stopped":true')) {
      onStopped(JSON.parse(line) as WorkerStopped);
      return;
    }
    countLog(line);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith('{')) countLog(line);
    stderrTail.push(line);
    if (stderrTail.length > 40) stderrTail.shift();
  });
  return { child, ready, stopped, logBytes, stderrTail };
}

/**
 * The worker processes: the send path (send, release) and the feedback path (webhook, status)
 * apart, as Lambda runs each function in processes of its own; or all in one (`--single-worker`),
 * where the feedback path's work delays the send path's timers.
 */
function workerGroups(single: boolean): Array<{ name: string; functions: LocalFunctionName[] }> {
  return single
    ? [{ name: 'all', functions: ['send', 'release', 'status', 'webhook'] }]
    : [
        { name: 'send', functions: ['send', 'release'] },
        { name: 'feedback', functions: ['status', 'webhook'] },
      ];
}

function sumDefined(values: ReadonlyArray<number | undefined>): number | undefined {
  return values.some((v) => v === undefined) ? undefined : values.reduce<number>((sum, v) => sum + v!, 0);
}

async function withRetries<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= tries) throw error;
      await sleep(500 * 2 ** i);
    }
  }
}

function latencySummary(samples: Record<string, number[]>): Record<string, { p50?: number; p99?: number; n: number }> {
  return Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, { p50: round(percentile(values, 50), 1), p99: round(percentile(values, 99), 1), n: values.length }]));
}

export async function runBenchmark(options: RunOptions): Promise<RunResult> {
  const { say } = options;
  const started = Date.now();
  const campaignId = `bench-${options.label}-${new Date(started).toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const instrumentFile = join(tmpdir(), `wa-bench-instrument-${process.pid}-${started}.json`);
  const sampler = new ProcSampler();
  // serverless.yml derives the deployed maximumConcurrency from the rate the same way.
  const concurrency = options.concurrency ?? maxConcurrencyFor(options.rate);
  const machineBusyBeforePercent = await machineBusyPercent(3_000);
  if (machineBusyBeforePercent > 10) say(`[${options.label}] note: the machine was ${machineBusyBeforePercent} % busy before the run started (other processes): CPU figures are shared with them`);

  say(`[${options.label}] starting DynamoDB Local, fauxqs, the SSM stand-in and the simulator (ceiling ${options.rate}/s, ${options.jobs} jobs)…`);
  const stack = await startLocalStack();
  let sim: SimulatorChild | undefined;
  const workers: WorkerHandle[] = [];
  const clients = clientsFor(stack.endpoints);
  const producerSqs = new SQSClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: stack.endpoints.sqs });
  const producerCounter = new RequestCounter();
  producerCounter.instrument(producerSqs, 'sqs');
  const killChildren = () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    sim?.child.kill('SIGKILL');
  };
  process.once('exit', killChildren);

  try {
    sampler.watch('driver: fauxqs + SSM stand-in + producer', process.pid);
    sampler.watch('DynamoDB Local (java)', findChildPids(process.pid, 'java')[0]);
    sim = await SimulatorChild.start(benchScenario(options));
    sampler.watch('simulator', sim.child.pid);

    const service = serviceName();
    const resources = await createResources({ sqsEndpoint: stack.endpoints.sqs, dynamoEndpoint: stack.endpoints.dynamodb, service, stage: STAGE });
    const sendQueueUrl = queueOf(resources, 'SendQueue').url;
    const statusQueueUrl = queueOf(resources, 'StatusQueue').url;
    const deferredQueueUrl = queueOf(resources, 'DeferredQueue').url;
    const jobsTable = tableOf(resources, 'JobsTable').name;

    const workerEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...localStackEnv(stack.endpoints),
      WORKER_STAGE: STAGE,
      WORKER_META_BASE_URL: sim.url,
      WORKER_ENV: JSON.stringify({ PHONE_NUMBER_RATE_PER_SECOND: String(options.rate), ...options.env }),
      WORKER_CONCURRENCY: String(concurrency),
      LOCAL_LOG_LEVEL: options.logLevel,
      // EMF metrics are log lines on Lambda (CloudWatch Logs ingestion): keep them on, as deployed.
      POWERTOOLS_METRICS_DISABLED: 'false',
      BENCH_RESOURCE_PREFIX: `${service}-${STAGE}-`,
    };
    for (const group of workerGroups(options.singleWorker === true)) {
      const worker = startWorker({ ...workerEnv, WORKER_FUNCTIONS: group.functions.join(','), BENCH_INSTRUMENT_FILE: `${instrumentFile}.${group.name}` }, options.instrument, options.profileDir);
      workers.push(worker);
      const readyTimeout = sleep(120_000, undefined, { ref: false }).then(() => {
        throw new Error(`worker ${group.name} not ready within 120 s:\n${worker.stderrTail.join('\n')}`);
      });
      const ready = await Promise.race([worker.ready, readyTimeout]);
      sampler.watch(`worker (${group.functions.join(', ')})`, worker.child.pid);
      if (group.functions.includes('webhook')) await sim.request({ type: 'webhook-target', url: ready.webhookUrl });
    }
    const workersCpuMs = () => sumDefined(workers.map((w) => readProcessCpuMs(w.child.pid!)));
    const workerCpuAtReady = workersCpuMs();
    sampler.start(1_000);
    say(`[${options.label}] ${workers.length === 1 ? 'worker' : `${workers.length} workers`} ready (send maximumConcurrency ${concurrency}, log level ${options.logLevel}); enqueueing ${options.jobs} jobs (${options.arrival})…`);

    // --- enqueue ---------------------------------------------------------------------------
    const createdAt = new Map<string, number>();
    const policy = { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] };
    let enqueued = 0;
    const enqueueStarted = Date.now();
    const enqueue = (async () => {
      const chunk = options.arrival === 'burst' ? 1_000 : Math.max(10, Math.round(options.rate / 5));
      for (let from = 0; from < options.jobs && !options.signal?.aborted; from += chunk) {
        if (options.arrival === 'paced') {
          const due = enqueueStarted + (from / options.rate) * 1000;
          if (due > Date.now()) await sleep(due - Date.now());
        }
        const now = Date.now();
        const jobs = benchJobs(campaignId, from, Math.min(chunk, options.jobs - from));
        const prepared = prepareJobs(jobs, policy, now);
        if (prepared.rejected.length > 0) throw new Error(`benchmark jobs rejected: ${JSON.stringify(prepared.rejected[0])}`);
        for (const job of jobs) createdAt.set(job.recipient.replace(/\D/g, ''), now);
        const report = await enqueuePrepared(producerSqs, sendQueueUrl, prepared.valid);
        if (report.failed.length > 0) throw new Error(`${report.failed.length} jobs could not be enqueued: ${report.failed[0]!.error}`);
        enqueued += report.enqueued;
      }
    })();
    let enqueueError: unknown;
    let enqueueDone = false;
    enqueue.then(
      () => {
        enqueueDone = true;
      },
      (error: unknown) => {
        enqueueError = error;
      },
    );

    // --- wait until every job is accepted and its webhooks applied ----------------------------
    const counters = createCampaignCounters(clients.documents, { tableName: tableOf(resources, 'CampaignsTable').name, shards: 10 });
    const depth = async (queueUrl: string) => {
      const { Attributes: a = {} } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
      );
      return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
    };
    let completed = false;
    let incompleteReason: string | undefined;
    let lastFingerprint = '';
    let lastChange = Date.now();
    let lastSay = 0;
    let lastAccepted = 0;
    let lastAcceptedAt = Date.now();
    let progress: SimProgress | undefined;
    let pollFailures = 0;
    let deliveredOrRead = 0;
    for (;;) {
      await sleep(2_000);
      if (enqueueError) throw enqueueError;
      if (options.signal?.aborted) {
        incompleteReason = 'interrupted';
        break;
      }
      let sendDepth: number;
      let statusDepth: number;
      let deferredDepth: number;
      try {
        progress = await sim.request<SimProgress>({ type: 'progress' });
        const figures = campaignFigures(await counters.read(campaignId));
        deliveredOrRead = (figures.byState.delivered ?? 0) + (figures.byState.read ?? 0);
        [sendDepth, statusDepth, deferredDepth] = await Promise.all([depth(sendQueueUrl), depth(statusQueueUrl), depth(deferredQueueUrl)]);
        pollFailures = 0;
      } catch (error) {
        // A slow or failing look is not the run failing: look again, give up after 30 in a row.
        pollFailures += 1;
        if (pollFailures >= 30) {
          incompleteReason = `progress unreadable 30 times in a row: ${(error as Error).message}`;
          break;
        }
        continue;
      }
      const now = Date.now();
      const accepted = progress.acceptedRecipients;
      if (now - lastSay >= 10_000) {
        const rate = ((accepted - lastAccepted) * 1000) / Math.max(1, now - lastAcceptedAt);
        const usage = sampler.usageBetween(now - 10_000, now);
        const cpu = Object.entries(usage.percentOfCore)
          .map(([name, pct]) => `${name.split(' ')[0]!.replace(':', '')} ${Math.round(pct)}%`)
          .join(', ');
        const others = usage.otherPercentOfCore;
        say(
          `  ${String(Math.round((now - enqueueStarted) / 1000)).padStart(5)} s  enqueued ${enqueued}  accepted ${accepted} (${rate.toFixed(1)}/s)  130429 ${progress.stats.byOutcome['130429'] ?? 0}` +
            `  webhooks ${progress.webhooks.delivered}  delivered/read ${deliveredOrRead}  queues send ${sendDepth} status ${statusDepth} deferred ${deferredDepth}  CPU ${cpu}, other ${Math.round(others)}% (machine ${Math.round(usage.machinePercent)}%)`,
        );
        lastSay = now;
        lastAccepted = accepted;
        lastAcceptedAt = now;
      }
      const fingerprint = JSON.stringify([enqueued, accepted, progress.stats.total, progress.webhooks.delivered, deliveredOrRead, sendDepth, statusDepth]);
      if (fingerprint !== lastFingerprint) lastChange = now;
      lastFingerprint = fingerprint;
      const webhooksDone = progress.webhooks.pending === 0 && statusDepth === 0 && deliveredOrRead >= options.jobs;
      if (enqueueDone && accepted >= options.jobs && sendDepth === 0 && webhooksDone) {
        completed = true;
        break;
      }
      if (now - lastChange > options.stallSeconds * 1000) {
        incompleteReason = `no progress for ${options.stallSeconds} s`;
        break;
      }
      if (now - enqueueStarted > options.timeoutSeconds * 1000) {
        incompleteReason = `time limit of ${options.timeoutSeconds} s reached`;
        break;
      }
    }
    const finishedAt = Date.now();
    if (!completed) say(`[${options.label}] INCOMPLETE: ${incompleteReason}; the results below cover what happened until then`);

    // --- stop the worker: it prints its CPU, memory and SDK request counts ----------------------
    const workerCpuBeforeStop = workersCpuMs();
    sampler.stop();
    for (const worker of workers) worker.child.kill('SIGTERM');
    const stopped = mergeStopped(await Promise.all(workers.map((worker) => Promise.race([worker.stopped, sleep(60_000, undefined, { ref: false }).then(() => undefined)]))));
    await Promise.all(workers.map((worker) => waitForExit(worker.child, 5_000)));
    const instrumentFiles = workerGroups(options.singleWorker === true).map((group) => `${instrumentFile}.${group.name}`);
    const instrument = mergeInstrument(instrumentFiles.filter((file) => existsSync(file)).map((file) => JSON.parse(readFileSync(file, 'utf8')) as InstrumentReport));

    // --- collect -------------------------------------------------------------------------------
    const summary = await sim.request<SimSummary>({ type: 'summary' }, 60_000);
    const acceptedTimes = summary.accepted.map(([, at]) => at).sort((a, b) => a - b);
    const steady = steadyRate(acceptedTimes);
    const firstAccepted = new Map<string, number>();
    for (const [digits, at] of summary.accepted) if (!firstAccepted.has(digits)) firstAccepted.set(digits, at);
    const enqueueToAccepted: number[] = [];
    for (const [digits, at] of firstAccepted) {
      const created = createdAt.get(digits);
      if (created !== undefined) enqueueToAccepted.push(at - created);
    }
    const throttled = summary.stats.byOutcome['130429'] ?? 0;

    say(`[${options.label}] reading the jobs table…`);
    const claimToAccepted: number[] = [];
    const jobStates: Record<string, number> = {};
    const itemSizes: number[] = [];
    let scanError: string | undefined;
    try {
      // A small sample of whole items for their size, then only the fields needed, in modest
      // pages, each retried: DynamoDB Local (256 MB heap) is fragile after a long run.
      const sample = await withRetries(() => clients.documents.send(new ScanCommand({ TableName: jobsTable, Limit: 500 })));
      for (const item of sample.Items ?? []) itemSizes.push(dynamoItemBytes(item));
      let startKey: Record<string, unknown> | undefined;
      do {
        const exclusiveStartKey = startKey;
        const page = await withRetries(() =>
          clients.documents.send(
            new ScanCommand({ TableName: jobsTable, ExclusiveStartKey: exclusiveStartKey, Limit: 2_000, ProjectionExpression: '#state, claimedAt, acceptedAt', ExpressionAttributeNames: { '#state': 'state' } }),
          ),
        );
        for (const item of page.Items ?? []) {
          jobStates[String(item.state)] = (jobStates[String(item.state)] ?? 0) + 1;
          if (typeof item.claimedAt === 'string' && typeof item.acceptedAt === 'string') claimToAccepted.push(Date.parse(item.acceptedAt) - Date.parse(item.claimedAt));
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    } catch (error) {
      scanError = `jobs table not readable after the run: ${(error as Error).name}: ${(error as Error).message}`;
      say(`[${options.label}] ${scanError} (claim → accepted and job states are left out)`);
    }

    const timeline = summary.perSecond.outcomes.map((outcomes, second) => {
      const accepted = outcomes.accepted ?? 0;
      const thr = outcomes['130429'] ?? 0;
      const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
      return { second, accepted, throttled: thr, other: total - accepted - thr };
    });
    const cpuMsAfterReady = workerCpuBeforeStop !== undefined && workerCpuAtReady !== undefined ? workerCpuBeforeStop - workerCpuAtReady : undefined;
    const acceptedCount = summary.stats.byOutcome.accepted ?? 0;
    const serverlessFile = readServerlessFile();
    const result: RunResult = {
      label: options.label,
      options: { ...options, say: undefined, signal: undefined } as unknown as Omit<RunOptions, 'say' | 'signal'>,
      startedAt: new Date(started).toISOString(),
      completed,
      ...(incompleteReason ? { incompleteReason } : {}),
      durationSeconds: round((finishedAt - enqueueStarted) / 1000, 1)!,
      concurrency,
      machineBusyBeforePercent,
      sends: {
        accepted: acceptedCount,
        acceptedRecipients: summary.acceptedRecipients,
        apiCalls: summary.stats.total,
        byOutcome: summary.stats.byOutcome,
        throttled,
        throttledShare: summary.stats.total > 0 ? throttled / summary.stats.total : 0,
        ...(steady ? { steadyRate: round(steady.rate, 2), steadyWindow: { fromMs: steady.fromMs, toMs: steady.toMs, count: steady.count }, ofCeiling: round(steady.rate / options.rate, 4) } : {}),
        maxInAnySecond: maxInWindow(acceptedTimes),
        timeline,
      },
      latency: {
        enqueueToAcceptedMs: { p50: percentile(enqueueToAccepted, 50), p99: percentile(enqueueToAccepted, 99), max: percentile(enqueueToAccepted, 100) },
        claimToAcceptedMs: { p50: percentile(claimToAccepted, 50), p99: percentile(claimToAccepted, 99) },
      },
      webhooks: {
        delivered: summary.webhooks.delivered,
        posted: summary.webhooks.posted,
        failed: summary.webhooks.failed,
        perMessage: acceptedCount > 0 ? round(summary.webhooks.posted / acceptedCount, 3)! : 0,
      },
      jobStates,
      worker: {
        ...(stopped ? { stopped } : {}),
        ...(cpuMsAfterReady !== undefined ? { cpuMsAfterReady, cpuMsPer1000Jobs: round((cpuMsAfterReady / options.jobs) * 1000, 0) } : {}),
        ...(stopped ? { peakRssMb: stopped.maxRssMb } : {}),
        logBytes: mergeLogBytes(workers.map((w) => w.logBytes)),
        stderrTail: workers.flatMap((w) => w.stderrTail),
      },
      processes: {
        ...(steady ? { steady: sampler.usageBetween(steady.fromMs, steady.toMs) } : {}),
        whole: sampler.usageBetween(enqueueStarted, finishedAt),
      },
      requests: {
        ...(stopped?.requests ? { counted: stopped.requests } : {}),
        countedSource: stopped?.requests ? 'worker RequestCounter' : 'not available',
        producer: producerCounter.byCommand(),
        ...(instrument ? { instrument: { buckets: instrument.buckets, byCommand: instrument.byCommand, invocations: instrument.invocations, latencyMs: latencySummary(instrument.latencySamples) } } : {}),
      },
      ...(scanError ? { scanError } : {}),
      items: { sampled: itemSizes.length, jobsItemBytes: { mean: round(itemSizes.reduce((a, b) => a + b, 0) / Math.max(1, itemSizes.length), 0), max: percentile(itemSizes, 100) } },
      memoryMb: memoryByFunction(serverlessFile),
      lambdaLogging: lambdaLoggingByFunction(serverlessFile),
    };
    return result;
  } finally {
    sampler.stop();
    await Promise.all(
      workers
        .filter((worker) => worker.child.exitCode === null && worker.child.signalCode === null)
        .map((worker) => {
          worker.child.kill('SIGTERM');
          return waitForExit(worker.child, 20_000);
        }),
    );
    await sim?.stop().catch(() => undefined);
    if (sim) await waitForExit(sim.child, 5_000);
    producerSqs.destroy();
    clients.destroy();
    await stack.stop();
    process.removeListener('exit', killChildren);
    for (const group of workerGroups(options.singleWorker === true)) rmSync(`${instrumentFile}.${group.name}`, { force: true });
  }
}
