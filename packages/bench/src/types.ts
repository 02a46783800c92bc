/**
 * What a benchmark run is asked to do and what it measured. A {@link RunResult} is stored as is
 * in the results file, so its fields only ever grow: `--reanalyze` reads old files.
 */
import type { EventSourceStats } from 'lambda-local-kit';
import type { InstrumentReport, RequestBucket } from './attribution.ts';
import type { LambdaLogging } from './cost-model.ts';
import type { ProcSampler } from './proc-sampler.ts';

/** One run at one ceiling. */
export interface RunOptions {
  label: string;
  jobs: number;
  /** The ceiling: the simulator's ratePerSecond, and the per-number rate the target is told to keep. */
  rate: number;
  /**
   * Phone numbers sending at once, each at `rate` (absent in older results: 1). With more than one,
   * the second number is shared by two campaigns (see scenario.ts's `benchCampaigns`).
   */
  numbers?: number;
  /** The send event source's maximumConcurrency; default: the target's for the rate. */
  concurrency?: number;
  /** `burst`: all jobs enqueued at once (a campaign launch); `paced`: enqueued at the ceiling. */
  arrival: 'burst' | 'paced';
  latencyMs: { min: number; max: number };
  /** Share of recipients who read (3 webhooks per message at 1, 2 at 0). */
  readRate: number;
  /** Time between a message's consecutive statuses (sent → delivered → read), ms: Meta spreads them over seconds to hours. */
  statusGapMs: { min: number; max: number };
  /** The functions' log level (INFO as deployed; SILENT to measure CPU without logging). */
  logLevel: 'INFO' | 'SILENT';
  /** Load the worker instrument (worker-instrument.ts: paths, request units, wall times); false measures its overhead. */
  instrument: boolean;
  /** Write a V8 CPU profile of the worker into this directory (node --cpu-prof). */
  profileDir?: string;
  /** Run every function in one worker process instead of the send and feedback paths apart. */
  singleWorker?: boolean;
  /** Extra environment for the functions. */
  env: Record<string, string>;
  /** Give up when nothing moves for this long. */
  stallSeconds: number;
  /** Hard limit for the whole run after enqueueing starts. */
  timeoutSeconds: number;
  /** Stops waiting (the run ends as incomplete, and everything is cleaned up). */
  signal?: AbortSignal;
  say: (line: string) => void;
}

/** What a worker reports when it stops (its `{"stopped":true,…}` line). */
export interface WorkerStopped {
  cpuMs: number;
  maxRssMb: number;
  requests?: Record<string, number>;
  /** The local event sources' counters by function; absent in results from before they were printed. */
  eventSources?: Record<string, EventSourceStats>;
  /** Some functions' own requests apart (the feed scenario's ticker and feeder), by `service.Command`. */
  requestsByFunction?: Record<string, Record<string, number>>;
  /** The ticks of the campaign ticker the worker ran, and their summed wall time. */
  campaignTicks?: { count: number; totalMs: number };
}

/** A function's EMF output: bytes and lines, by the `function` dimension of the line. */
export type EmfByFunction = Record<string, { bytes: number; lines: number }>;

/** Everything one run measured, as stored in the results file. */
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
    /** Accepted sends in each whole second of the steady window (absent in older results). */
    steadySeconds?: number[];
  };
  /** How the target's send invocations handed the pace over, from their pacing log lines (absent when it logs none). */
  pacing?: PacingFigures;
  /** Each phone number's figures, and its campaigns' shares (runs with more than one number). */
  perNumber?: NumberFigures[];
  /** The target's EMF metrics, summed by `function/metric` (absent in older results). */
  metrics?: Record<string, number>;
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
    /** The worker's own RequestCounter (it prints the counts when it stops). */
    counted?: Record<string, number>;
    countedSource: 'worker RequestCounter' | 'not available';
    /** The producer's requests, counted in the driver. */
    producer: Record<string, number>;
    instrument?: {
      buckets: RequestBucket[];
      byCommand: Record<string, number>;
      invocations: InstrumentReport['invocations'];
      latencyMs: Record<string, { p50?: number; p99?: number; n: number }>;
    };
  };
  items: { sampled: number; jobsItemBytes?: { mean?: number; max?: number } };
  scanError?: string;
  memoryMb: Record<string, number>;
  /** Lambda logging settings by function, as deployed; absent in older results (then treated as Lambda's defaults). */
  lambdaLogging?: Record<string, LambdaLogging>;
}

/** One phone number's sends in a run of several. */
export interface NumberFigures {
  phoneNumberId: string;
  apiCalls: number;
  accepted: number;
  throttled: number;
  throttledShare: number;
  steadyRate?: number;
  ofCeiling?: number;
  /** Its campaigns' shares of its accepted sends in its steady window (a campaign alone: 1). */
  campaigns: Array<{ campaignId: string; accepted: number; shareInSteadyWindow: number }>;
}

/** A distribution: how many values, p50, p90, p99 and the maximum. */
export interface Spread {
  n: number;
  p50?: number;
  p90?: number;
  p99?: number;
  max?: number;
}

/**
 * The pacing log lines' figures (see target.ts): per send invocation, the hand-over from its
 * environment's previous last send to its first reservation, the lead its first block had, and
 * the times a block found the number's pace idle.
 */
export interface PacingFigures {
  invocations: number;
  handOverMs: Spread;
  leadMs: Spread & { min?: number };
  idle: { count: number; totalMs: number; maxMs: number };
}

/** One pacing log line's numbers. */
export interface PacingLine {
  handOverMs?: number;
  leadMs?: number;
  idleMs?: number;
}

/** A worker's log output: bytes and lines, app logs apart from EMF metric lines. */
export interface WorkerLogBytes {
  app: number;
  emf: number;
  lines: number;
  emfLines: number;
  emfByFunction: EmfByFunction;
}
