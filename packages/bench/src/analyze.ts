/**
 * Turns a run's raw measurements into the benchmark's figures: requests per job by path, request
 * units, Lambda usage, the cost projection and the targets. Pure (no I/O), so a results file can
 * be re-analysed (`npm run bench -- --reanalyze packages/bench/results/x.json`).
 */
import type { RequestBucket } from './attribution.ts';
import { WRITE_OPERATIONS } from './attribution.ts';
import {
  type CostProjection,
  cpuBoundDurationMs,
  type LambdaUsage,
  type MeasuredUsage,
  platformLogBytesPerInvocation,
  projectCost,
} from './cost-model.ts';
import type { Prices } from './prices.ts';
import { round } from './stats.ts';
import type { EmfByFunction, RunResult } from './types.ts';

/** Functions whose metrics middleware writes one EMF line per invocation on Lambda (the others write one only on a rejection). */
const EMF_LINE_PER_INVOCATION = new Set(['send', 'status']);

export interface PathFigures {
  /** Billed SQS requests (64 KB chunks), without the event sources' empty receives. */
  sqs: number;
  /** The event sources' empty receives on this path's queues (idle polling; see BENCHMARKS.md). */
  sqsEmptyReceives: number;
  /** DynamoDB write requests (batch and transaction items counted one by one). */
  dynamoWrites: number;
  dynamoReads: number;
  /** Write / read request units: DynamoDB Local's consumed capacity (GSI included) + 1 WRU per refused conditional write. */
  writeUnits: number;
  readUnits: number;
  conditionalFailures: number;
}

export interface Target {
  name: string;
  goal: string;
  value: string;
  pass: boolean | undefined;
}

export interface Analysis {
  jobs: number;
  requestsAvailable: boolean;
  /** The worker's own RequestCounter totals and, for a cross-check, the instrument's. */
  counted: { source: string; sqs?: number; dynamodb?: number; ssm?: number; instrumentSqs?: number; instrumentDynamodb?: number };
  perJob?: { send: PathFigures; status: PathFigures; other: PathFigures };
  lambda: { wall: LambdaUsage[]; cpu: LambdaUsage[] };
  logBytes?: { total: number; app: number; emf: number; platform: number; perMessage: number };
  /** Webhook events per status invocation, as the local event source gathered them (the deployed batchSize and batching window). */
  statusEventsPerBatch?: number;
  cost?: {
    wall: CostProjection;
    cpu: CostProjection;
    headline: 'wall' | 'cpu';
  };
  targets: Target[];
}

const emptyPath = (): PathFigures => ({
  sqs: 0,
  sqsEmptyReceives: 0,
  dynamoWrites: 0,
  dynamoReads: 0,
  writeUnits: 0,
  readUnits: 0,
  conditionalFailures: 0,
});

function addBucket(figures: PathFigures, bucket: RequestBucket): void {
  if (bucket.service === 'sqs') {
    figures.sqs += bucket.billable - bucket.emptyReceives;
    figures.sqsEmptyReceives += bucket.emptyReceives;
  }
  if (bucket.service === 'dynamodb') {
    const itemwise = bucket.operation === 'BatchWriteItem' || bucket.operation === 'TransactWriteItems';
    if (WRITE_OPERATIONS.has(bucket.operation)) {
      figures.dynamoWrites += itemwise ? bucket.items : bucket.requests;
      figures.writeUnits += bucket.tableCapacity + bucket.indexCapacity + bucket.conditionalFailures;
      figures.conditionalFailures += bucket.conditionalFailures;
    } else if (['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'].includes(bucket.operation)) {
      figures.dynamoReads += bucket.requests;
      figures.readUnits += bucket.tableCapacity + bucket.indexCapacity;
    }
  }
}

function divide(figures: PathFigures, jobs: number): PathFigures {
  return Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v / jobs, 4)!])) as unknown as PathFigures;
}

/**
 * EMF bytes as Lambda would write them. Locally, concurrent invocations share one Metrics object,
 * so fewer lines come out than invocations; on Lambda each send or status invocation flushes its
 * own: scale their mean line to their invocations. The others' lines are counted as they are.
 */
export function lambdaEmfBytes(emfByFunction: EmfByFunction, invocationsOf: Record<string, number>): number {
  return Object.entries(emfByFunction).reduce((sum, [fn, { bytes, lines }]) => {
    const perInvocation = EMF_LINE_PER_INVOCATION.has(fn) && lines > 0 && invocationsOf[fn] !== undefined;
    return sum + (perInvocation ? (bytes / lines) * invocationsOf[fn]! : bytes);
  }, 0);
}

/** The figures and targets of one run, priced with `prices`. */
export function analyze(run: RunResult, prices: Prices): Analysis {
  // Per job = per job that went through: all of them in a completed run, the accepted ones otherwise.
  const jobs = run.completed ? run.options.jobs : Math.max(1, run.sends.acceptedRecipients);
  const instrument = run.requests.instrument;
  const counted = run.requests.counted;
  const sum = (record: Record<string, number> | undefined, prefix: string) =>
    record ? Object.entries(record).reduce((total, [key, n]) => (key.startsWith(prefix) ? total + n : total), 0) : undefined;
  const instrumentTotal = (service: string) =>
    instrument?.buckets.filter((b) => b.service === service).reduce((total, b) => total + b.requests, 0);
  const analysis: Analysis = {
    jobs,
    requestsAvailable: counted !== undefined || instrument !== undefined,
    counted: {
      source: run.requests.countedSource,
      ...(counted ? { sqs: sum(counted, 'sqs.'), dynamodb: sum(counted, 'dynamodb.'), ssm: sum(counted, 'ssm.') } : {}),
      ...(instrument ? { instrumentSqs: instrumentTotal('sqs'), instrumentDynamodb: instrumentTotal('dynamodb') } : {}),
    },
    lambda: { wall: [], cpu: [] },
    targets: [],
  };

  // --- requests by path ----------------------------------------------------------------------
  if (instrument) {
    const send = emptyPath();
    const status = emptyPath();
    const other = emptyPath();
    for (const bucket of instrument.buckets) addBucket(bucket.path === 'send' ? send : bucket.path === 'status' ? status : other, bucket);
    // The producer's SendMessageBatch requests (10 jobs of ~0.6 KB each: one 64 KB chunk) are send path.
    send.sqs += sum(run.requests.producer, 'sqs.SendMessageBatch') ?? 0;
    analysis.perJob = { send: divide(send, jobs), status: divide(status, jobs), other: divide(other, jobs) };

    // --- Lambda usage: invocations and handler time per invocation, by function --------------
    // The event sources count their invocations and handler time themselves (the local kit's poller).
    // Results from before they did: one non-empty receive was one invocation, timed receive → delete.
    const sources = run.worker.stopped?.eventSources;
    const receives = (queue: string) =>
      instrument.buckets
        .filter((b) => b.service === 'sqs' && b.operation === 'ReceiveMessage' && b.resource === queue)
        .reduce((n, b) => n + b.requests - b.emptyReceives, 0);
    const invocationsOf: Record<string, number> = {
      send: sources?.send?.invocations ?? receives('send'),
      status: sources?.status?.invocations ?? receives('status'),
      release: sources?.release?.invocations ?? receives('deferred'),
      webhook: instrument.invocations.webhook?.count ?? run.webhooks.posted,
      // The target's stream-triggered function, where it has one (the jobs table's counting function).
      countJobChanges: sources?.countJobChanges?.invocations ?? 0,
    };
    const statusSource = sources?.status;
    if (statusSource && statusSource.invocations > 0)
      analysis.statusEventsPerBatch = round(statusSource.records / statusSource.invocations, 2)!;
    const memory = (fn: string) => run.memoryMb[fn] ?? 512;
    const wall: LambdaUsage[] = Object.entries(invocationsOf)
      .filter(([, n]) => n > 0)
      .map(([name, invocations]) => {
        const source = sources?.[name];
        const measured = source ? { count: source.invocations, totalMs: source.handlerMs } : instrument.invocations[name];
        const msPer = measured && measured.count > 0 ? measured.totalMs / measured.count : 0;
        return { name, memoryMb: memory(name), invocations, billedMsPerInvocation: round(msPer, 2)! };
      });
    analysis.lambda.wall = wall;
    // CPU-derived: the worker's CPU, split over the functions by their share of wall time, each
    // stretched by its memory's share of a vCPU.
    const cpuMs = run.worker.cpuMsAfterReady ?? run.worker.stopped?.cpuMs;
    if (cpuMs !== undefined) {
      const wallTotal = wall.reduce((total, f) => total + f.invocations * f.billedMsPerInvocation, 0);
      analysis.lambda.cpu = wall.map((f) => {
        const share = wallTotal > 0 ? (f.invocations * f.billedMsPerInvocation) / wallTotal : 1 / wall.length;
        return {
          ...f,
          billedMsPerInvocation: round(cpuBoundDurationMs((cpuMs * share) / f.invocations, f.memoryMb, prices.lambdaMbPerVcpu), 3)!,
        };
      });
    }

    // --- logs ---------------------------------------------------------------------------------
    const { app, emf, emfLines, emfByFunction } = run.worker.logBytes;
    if (run.options.logLevel === 'INFO') {
      const emfBytes = emfByFunction
        ? lambdaEmfBytes(emfByFunction, invocationsOf)
        : emfLines > 0
          ? (emf / emfLines) * (invocationsOf.send! + invocationsOf.status!)
          : 0;
      // START/END/REPORT per invocation, unless the deployed logging settings leave them out.
      const platform = Object.entries(invocationsOf).reduce(
        (sum, [fn, n]) => sum + platformLogBytesPerInvocation(run.lambdaLogging?.[fn]) * n,
        0,
      );
      const total = app + emfBytes + platform;
      analysis.logBytes = { total: Math.round(total), app, emf: Math.round(emfBytes), platform, perMessage: round(total / jobs, 1)! };
    }

    // --- cost -----------------------------------------------------------------------------------
    const messages = run.sends.acceptedRecipients || jobs;
    const usage = (lambda: LambdaUsage[]): MeasuredUsage => ({
      messages,
      sqsRequests: { send: send.sqs, status: status.sqs },
      dynamoDb: {
        writeUnits: { send: send.writeUnits, status: status.writeUnits + other.writeUnits },
        readUnits: { send: send.readUnits, status: status.readUnits + other.readUnits },
      },
      lambda,
      webhookRequests: run.webhooks.posted,
      ...(analysis.logBytes ? { logBytes: analysis.logBytes.total } : {}),
    });
    const wallCost = projectCost(usage(wall), prices);
    const cpuLambda = analysis.lambda.cpu.length ? analysis.lambda.cpu : wall;
    const cpuCost = projectCost(usage(cpuLambda), prices);
    const headline = wallCost.totalWithFunctionUrl >= cpuCost.totalWithFunctionUrl ? 'wall' : 'cpu';
    analysis.cost = { wall: wallCost, cpu: cpuCost, headline };
  }

  // --- targets -------------------------------------------------------------------------------
  const pct = (x: number | undefined, digits = 1) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(digits)} %`);
  const ofCeiling = run.sends.ofCeiling;
  analysis.targets.push({
    name: 'send rate',
    goal: '≥ 95 % of the ceiling',
    value: `${pct(ofCeiling)} (${run.sends.steadyRate ?? 'n/a'}/s of ${run.options.rate}/s)`,
    pass: ofCeiling === undefined ? undefined : ofCeiling >= 0.95,
  });
  analysis.targets.push({
    name: 'throttled (130429)',
    goal: '< 0.1 % of responses',
    value: `${pct(run.sends.throttledShare, 3)} (${run.sends.throttled} of ${run.sends.apiCalls})`,
    pass: run.sends.throttledShare < 0.001,
  });
  for (const number of run.perNumber ?? []) {
    analysis.targets.push({
      name: `number ${number.phoneNumberId}: send rate`,
      goal: '≥ 95 % of its ceiling',
      value: pct(number.ofCeiling),
      pass: number.ofCeiling === undefined ? undefined : number.ofCeiling >= 0.95,
    });
    analysis.targets.push({
      name: `number ${number.phoneNumberId}: 130429`,
      goal: '< 0.1 % of its responses',
      value: `${pct(number.throttledShare, 3)} (${number.throttled} of ${number.apiCalls})`,
      pass: number.throttledShare < 0.001,
    });
    if (number.campaigns.length < 2) continue;
    const fair = 1 / number.campaigns.length;
    for (const campaign of number.campaigns) {
      analysis.targets.push({
        name: `${campaign.campaignId}: share of its number`,
        goal: `within 10 % of ${pct(fair, 0)}`,
        value: pct(campaign.shareInSteadyWindow),
        pass: Math.abs(campaign.shareInSteadyWindow - fair) <= 0.1 * fair,
      });
    }
  }
  const send = analysis.perJob?.send;
  analysis.targets.push({
    name: 'SQS requests per job, send path',
    goal: '≤ 0.4',
    value: send ? String(send.sqs) : 'not available',
    pass: send ? send.sqs <= 0.4 : undefined,
  });
  analysis.targets.push({
    name: 'DynamoDB writes per job, send path',
    goal: '≤ 3',
    value: send ? `${send.dynamoWrites} (${send.writeUnits} WRU)` : 'not available',
    pass: send ? send.dynamoWrites <= 3 : undefined,
  });
  const cost = analysis.cost ? analysis.cost[analysis.cost.headline] : undefined;
  analysis.targets.push({
    name: 'AWS cost per million messages, webhooks included',
    goal: '< $5',
    value: cost
      ? `$${cost.totalWithFunctionUrl.toFixed(2)} (function URL; $${cost.totalWithHttpApi.toFixed(2)} with HTTP API)`
      : 'not available',
    pass: cost ? cost.totalWithFunctionUrl < 5 : undefined,
  });
  if (!run.completed)
    analysis.targets.push({
      name: 'run completed',
      goal: 'every job accepted and its webhooks applied',
      value: run.incompleteReason ?? 'no',
      pass: false,
    });
  return analysis;
}
