/**
 * What every run of the feed scenario stands on: the local stack, the MM API simulator (the
 * preflight reads the template and the number through its Graph API), the target's feed stage,
 * an uploaded audience and the worker running the ticker and the feeder. Stops everything it
 * started, also on errors.
 */
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientsFor, localStackEnv, startLocalStack } from 'lambda-local-kit';
import { waitForExit } from './child-exit.ts';
import { uploadAudience } from './feed-audience.ts';
import { findChildPids, ProcSampler } from './proc-sampler.ts';
import { benchScenario } from './scenario.ts';
import { SimulatorChild } from './simulator-child.ts';
import type { BenchTarget, FeedBenchTarget, FeedStage } from './target.ts';
import type { WorkerStopped } from './types.ts';
import { startWorker, type WorkerHandle, type WorkerReady } from './worker-process.ts';

const STAGE = 'bench';
const WORKER_READY_MS = 120_000;

/** What a feed run asks of its stand. */
export interface StandSetup {
  target: BenchTarget;
  feed: FeedBenchTarget;
  label: string;
  rows: number;
  /** The simulator's ceiling and the rate the target is told (1,000/s: Meta's HIGH tier). */
  rate: number;
  /** Functions beside the ticker and the feeder (the send path for the launch run). */
  functions: string[];
  tickEveryMs: number;
  env: Record<string, string>;
  logLevel: 'INFO' | 'SILENT';
  say: (line: string) => void;
}

/** A running stand. */
export interface Stand {
  stage: FeedStage;
  sim: SimulatorChild;
  clients: ReturnType<typeof clientsFor>;
  sampler: ProcSampler;
  worker: WorkerHandle;
  ready: WorkerReady;
  audienceKey: string;
  audienceBytes: number;
  uploadSeconds: number;
  /** How the worker runs: its script and Node's options (e.g. a bundle held to a memory budget). */
  workerProcess: { script: string; nodeArgs: string[] };
  /** Stops the worker (SIGTERM) and returns its stopped line. */
  stopWorker(): Promise<WorkerStopped | undefined>;
}

/** Sets the stand up, runs `use` on it and takes it down. */
export async function withStand<T>(setup: StandSetup, use: (stand: Stand) => Promise<T>): Promise<T> {
  const { say, label } = setup;
  say(`[${label}] starting DynamoDB Local, fauxqs (SQS and S3), the SSM stand-in and the simulator…`);
  const stack = await startLocalStack();
  const clients = clientsFor(stack.endpoints);
  const sampler = new ProcSampler();
  let sim: SimulatorChild | undefined;
  let worker: WorkerHandle | undefined;
  try {
    sampler.watch('driver (fauxqs, SSM stand-in)', process.pid);
    sampler.watch('DynamoDB Local (java)', findChildPids(process.pid, 'java')[0]);
    sim = await SimulatorChild.start(
      benchScenario(
        { rate: setup.rate, latencyMs: { min: 30, max: 150 }, readRate: 1, statusGapMs: { min: 50, max: 300 } },
        setup.target.metaCredentials,
      ),
    );
    const stage = await setup.feed.deployFeed({ endpoints: stack.endpoints, stage: STAGE, documents: clients.documents });
    const audienceKey = `${label}/audience.csv`;
    say(`[${label}] generating and uploading an audience of ${setup.rows.toLocaleString('en-US')} rows (multipart)…`);
    const uploadStarted = performance.now();
    const audienceBytes = await uploadAudience(clients.s3, { bucket: stage.audienceBucket, key: audienceKey, rows: setup.rows });
    const uploadSeconds = (performance.now() - uploadStarted) / 1000;
    const command = setup.feed.feedWorker({
      stage: STAGE,
      functions: setup.functions,
      metaBaseUrl: sim.url,
      ratePerSecond: setup.rate,
      tickEveryMs: setup.tickEveryMs,
      logLevel: setup.logLevel,
      env: setup.env,
    });
    const started = startWorker({ command, env: localStackEnv(stack.endpoints), instrument: false, profileDir: undefined });
    worker = started;
    const ready = await Promise.race([
      started.ready,
      sleep(WORKER_READY_MS, undefined, { ref: false }).then(() => {
        throw new Error(`worker not ready within 120 s:\n${started.stderrTail.join('\n')}`);
      }),
    ]);
    sampler.watch('worker', started.child.pid);
    if (ready.webhookUrl) await sim.request({ type: 'webhook-target', url: ready.webhookUrl });
    sampler.start(1_000);
    const stopWorker = async () => {
      started.child.kill('SIGTERM');
      const stopped = await Promise.race([started.stopped, sleep(60_000, undefined, { ref: false }).then(() => undefined)]);
      await waitForExit(started.child, 5_000);
      return stopped;
    };
    const workerProcess = { script: relative(process.cwd(), command.script), nodeArgs: command.nodeArgs ?? [] };
    return await use({
      stage,
      sim,
      clients,
      sampler,
      worker: started,
      ready,
      audienceKey,
      audienceBytes,
      uploadSeconds,
      workerProcess,
      stopWorker,
    });
  } finally {
    sampler.stop();
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGTERM');
      await waitForExit(worker.child, 20_000);
    }
    await sim?.stop().catch(() => undefined);
    clients.destroy();
    await stack.stop();
  }
}
