/**
 * One benchmark run at one ceiling: the local stack and the MM API simulator, the target's
 * functions in worker processes, `jobs` jobs enqueued through the target, and everything measured
 * until every job is accepted and its webhooks applied. Stops every process it started, also on
 * errors. See cli.ts for the command line and BENCHMARKS.md (at the repository root) for results.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SQSClient } from '@aws-sdk/client-sqs';
import {
  clientsFor,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  type LocalEndpoints,
  localStackEnv,
  RequestCounter,
  startLocalStack,
} from 'lambda-local-kit';
import type { InstrumentReport } from './attribution.ts';
import { waitForExit } from './child-exit.ts';
import { startEnqueue } from './enqueue.ts';
import { scanJobs } from './jobs-scan.ts';
import { findChildPids, machineBusyPercent, ProcSampler, readProcessCpuMs } from './proc-sampler.ts';
import { runResult } from './run-result.ts';
import { benchCampaigns, benchScenario, fleetCeiling, numbersOf } from './scenario.ts';
import { SimulatorChild } from './simulator-child.ts';
import type { SimSummary } from './simulator-protocol.ts';
import type { BenchStage, BenchTarget, WorkerGroup } from './target.ts';
import type { RunOptions, RunResult } from './types.ts';
import { waitUntilDone } from './wait-until-done.ts';
import { mergeInstrument, mergeLogBytes, mergeStopped } from './worker-merge.ts';
import { startWorker, type WorkerHandle, type WorkerReady } from './worker-process.ts';

const STAGE = 'bench';
const WORKER_READY_MS = 120_000;

/** Runs the benchmark once against `target`, at `options.rate`. */
export async function runBenchmark(target: BenchTarget, options: RunOptions): Promise<RunResult> {
  const { say } = options;
  const started = Date.now();
  const campaignId = `bench-${options.label}-${new Date(started).toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  const instrumentFile = join(tmpdir(), `wa-bench-instrument-${process.pid}-${started}.json`);
  const groups = target.workerGroups(options.singleWorker === true);
  const sampler = new ProcSampler();
  // The send function is sized for every number sending at once (serverless.yml's sendingNumbers).
  const concurrency = options.concurrency ?? target.concurrencyFor(fleetCeiling(options));
  const machineBusyBeforePercent = await machineBusyPercent(3_000);
  if (machineBusyBeforePercent > 10)
    say(
      `[${options.label}] note: the machine was ${machineBusyBeforePercent} % busy before the run started (other processes): CPU figures are shared with them`,
    );

  say(
    `[${options.label}] starting DynamoDB Local, fauxqs, the SSM stand-in and the simulator (ceiling ${options.rate}/s, ${options.jobs} jobs)…`,
  );
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
    sim = await SimulatorChild.start(benchScenario(options, target.metaCredentials));
    sampler.watch('simulator', sim.child.pid);

    const stage = await target.deploy({ endpoints: stack.endpoints, stage: STAGE, documents: clients.documents });
    for (const group of groups) {
      const worker = startGroupWorker({ target, group, stage, endpoints: stack.endpoints, sim, concurrency, instrumentFile, options });
      workers.push(worker);
      const ready = await whenReady(worker, group.name);
      sampler.watch(`worker (${group.functions.join(', ')})`, worker.child.pid);
      if (group.receivesWebhooks) await sim.request({ type: 'webhook-target', url: ready.webhookUrl });
    }
    const workersCpuMs = () => sumDefined(workers.map((w) => readProcessCpuMs(w.child.pid!)));
    const workerCpuAtReady = workersCpuMs();
    sampler.start(1_000);
    say(
      `[${options.label}] ${workers.length === 1 ? 'worker' : `${workers.length} workers`} ready (send maximumConcurrency ${concurrency}, log level ${options.logLevel}); enqueueing ${options.jobs} jobs (${options.arrival})…`,
    );

    const campaigns = benchCampaigns(campaignId, options.jobs, numbersOf(options));
    const enqueue = startEnqueue({ stage, sqs: producerSqs, campaigns, options });
    const campaignIds = campaigns.map((c) => c.campaignId);
    const outcome = await waitUntilDone({ sim, stage, sqs: clients.sqs, sampler, enqueue, campaignIds, options });
    const finishedAt = Date.now();
    if (!outcome.completed)
      say(`[${options.label}] INCOMPLETE: ${outcome.incompleteReason}; the results below cover what happened until then`);

    // Stopped workers print their CPU, memory and SDK request counts.
    const workerCpuBeforeStop = workersCpuMs();
    sampler.stop();
    for (const worker of workers) worker.child.kill('SIGTERM');
    const stopped = mergeStopped(
      await Promise.all(
        workers.map((worker) => Promise.race([worker.stopped, sleep(60_000, undefined, { ref: false }).then(() => undefined)])),
      ),
    );
    await Promise.all(workers.map((worker) => waitForExit(worker.child, 5_000)));
    const instrument = readInstrument(groups.map((group) => `${instrumentFile}.${group.name}`));

    const summary = await sim.request<SimSummary>({ type: 'summary' }, 60_000);
    say(`[${options.label}] reading the jobs table…`);
    const jobs = await scanJobs(clients.documents, stage.jobs);
    if (jobs.scanError) say(`[${options.label}] ${jobs.scanError} (claim → accepted and job states are left out)`);

    return runResult({
      options,
      started,
      enqueueStarted: enqueue.startedAt,
      finishedAt,
      completed: outcome.completed,
      incompleteReason: outcome.incompleteReason,
      concurrency,
      machineBusyBeforePercent,
      summary,
      createdAt: enqueue.createdAt,
      campaignOf: enqueue.campaignOf,
      jobs,
      stopped,
      cpuMsAfterReady:
        workerCpuBeforeStop !== undefined && workerCpuAtReady !== undefined ? workerCpuBeforeStop - workerCpuAtReady : undefined,
      logBytes: mergeLogBytes(workers.map((w) => w.logBytes)),
      pacingLines: workers.flatMap((w) => w.pacingLines),
      metricTotals: sumTotals(workers.map((w) => w.metricTotals)),
      stderrTail: workers.flatMap((w) => w.stderrTail),
      sampler,
      producerRequests: producerCounter.byCommand(),
      instrument,
      lambda: target.lambdaSettings(),
    });
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
    for (const group of groups) rmSync(`${instrumentFile}.${group.name}`, { force: true });
  }
}

/** What {@link startGroupWorker} gets. */
interface WorkerStart {
  target: BenchTarget;
  group: WorkerGroup;
  stage: BenchStage;
  endpoints: LocalEndpoints;
  sim: SimulatorChild;
  concurrency: number;
  instrumentFile: string;
  options: RunOptions;
}

/** Starts one group's worker with the target's command and the benchmark's environment. */
function startGroupWorker(start: WorkerStart): WorkerHandle {
  const { target, group, stage, options } = start;
  const command = target.workerCommand({
    stage: STAGE,
    functions: group.functions,
    metaBaseUrl: start.sim.url,
    ratePerSecond: options.rate,
    sendingNumbers: numbersOf(options),
    concurrency: start.concurrency,
    logLevel: options.logLevel,
    env: options.env,
  });
  return startWorker({
    command,
    env: {
      ...localStackEnv(start.endpoints),
      BENCH_RESOURCE_PREFIX: stage.resourcePrefix,
      BENCH_ATTRIBUTION: JSON.stringify(target.attribution),
      BENCH_INSTRUMENT_FILE: `${start.instrumentFile}.${group.name}`,
    },
    instrument: options.instrument,
    profileDir: options.profileDir,
  });
}

/** The worker's ready line, or an error after 120 s. */
function whenReady(worker: WorkerHandle, name: string): Promise<WorkerReady> {
  const readyTimeout = sleep(WORKER_READY_MS, undefined, { ref: false }).then(() => {
    throw new Error(`worker ${name} not ready within 120 s:\n${worker.stderrTail.join('\n')}`);
  });
  return Promise.race([worker.ready, readyTimeout]);
}

function readInstrument(files: string[]): InstrumentReport | undefined {
  return mergeInstrument(
    files.filter((file) => existsSync(file)).map((file) => JSON.parse(readFileSync(file, 'utf8')) as InstrumentReport),
  );
}

function sumDefined(values: ReadonlyArray<number | undefined>): number | undefined {
  return values.some((v) => v === undefined) ? undefined : values.reduce<number>((sum, v) => sum + v!, 0);
}

/** Metric totals of several workers, added up by name. */
function sumTotals(all: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const totals of all) for (const [name, value] of Object.entries(totals)) sum[name] = (sum[name] ?? 0) + value;
  return sum;
}
