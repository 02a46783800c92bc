/**
 * Turns a run's raw measurements into the benchmark's figures: requests per job by path, request
 * units, Lambda usage, the cost projection and the targets. Pure (no I/O), so a results file can
 * be re-analysed (`node bench/run.ts --reanalyze bench/results/x.json`).
 */
import type { RequestBucket } from './attribution.ts';
import { WRITE_OPERATIONS } from './attribution.ts';
import { type CostProjection, cpuBoundDurationMs, type LambdaUsage, type MeasuredUsage, projectCost } from './cost-model.ts';
import type { Prices } from './prices.ts';
import type { RunResult } from './run-one.ts';
import { round } from './stats.ts';

/** Bytes of Lambda's own START, END and REPORT lines per invocation (text format, typical lengths). */
export const PLATFORM_LOG_BYTES_PER_INVOCATION = 270;

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
  cost?: {
    wall: CostProjection;
    cpu: CostProjection;
    headline: 'wall' | 'cpu';
    /**
     * The headline projection with status batches as full as on AWS, where the status event
     * source's 1-s batching window (serverless.yml) fills batches of 10 at a few hundred events
     * per second; the local poller has no batching window (see BENCHMARKS.md).
     */
    fullStatusBatches?: { projection: CostProjection; measuredEventsPerBatch: number; assumedEventsPerBatch: number };
  };
  targets: Target[];
}

const emptyPath = (): PathFigures => ({ sqs: 0, sqsEmptyReceives: 0, dynamoWrites: 0, dynamoReads: 0, writeUnits: 0, readUnits: 0, conditionalFailures: 0 });

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

export function analyze(run: RunResult, prices: Prices): Analysis {
  // Per job = per job that went through: all of them in a completed run, the accepted ones otherwise.
  const jobs = run.completed ? run.options.jobs : Math.max(1, run.sends.acceptedRecipients);
  const instrument = run.requests.instrument;
  const counted = run.requests.counted;
  const sum = (record: Record<string, number> | undefined, prefix: string) =>
    record ? Object.entries(record).reduce((total, [key, n]) => (key.startsWith(prefix) ? total + n : total), 0) : undefined;
  const instrumentTotal = (service: string) => instrument?.buckets.filter((b) => b.service === service).reduce((total, b) => total + b.requests, 0);
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

    // --- Lambda usage: invocations and wall time per invocation, by function ------------------
    const receives = (queue: string) => instrument.buckets.filter((b) => b.service === 'sqs' && b.operation === 'ReceiveMessage' && b.resource === queue).reduce((n, b) => n + b.requests - b.emptyReceives, 0);
    const invocationsOf: Record<string, number> = {
      send: receives('send'),
      status: receives('status'),
      release: receives('deferred'),
      webhook: instrument.invocations.webhook?.count ?? run.webhooks.posted,
    };
    const memory = (fn: string) => run.memoryMb[fn] ?? 512;
    const wall: LambdaUsage[] = Object.entries(invocationsOf)
      .filter(([, n]) => n > 0)
      .map(([name, invocations]) => {
        const measured = instrument.invocations[name];
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
        return { ...f, billedMsPerInvocation: round(cpuBoundDurationMs((cpuMs * share) / f.invocations, f.memoryMb, prices.lambdaMbPerVcpu), 3)! };
      });
    }

    // --- logs ---------------------------------------------------------------------------------
    const { app, emf, emfLines } = run.worker.logBytes;
    if (run.options.logLevel === 'INFO') {
      const metricInvocations = invocationsOf.send! + invocationsOf.status!;
      // Locally concurrent invocations share one Metrics object, so fewer EMF lines come out than
      // invocations; on Lambda each invocation flushes its own: scale the mean line to them.
      const emfBytes = emfLines > 0 ? (emf / emfLines) * metricInvocations : 0;
      const platform = PLATFORM_LOG_BYTES_PER_INVOCATION * Object.values(invocationsOf).reduce((a, b) => a + b, 0);
      const total = app + emfBytes + platform;
      analysis.logBytes = { total: Math.round(total), app, emf: Math.round(emfBytes), platform, perMessage: round(total / jobs, 1)! };
    }

    // --- cost -----------------------------------------------------------------------------------
    const messages = run.sends.acceptedRecipients || jobs;
    const usage = (lambda: LambdaUsage[]): MeasuredUsage => ({
      messages,
      sqsRequests: { send: send.sqs, status: status.sqs },
      dynamoDb: { writeUnits: { send: send.writeUnits, status: status.writeUnits + other.writeUnits }, readUnits: { send: send.readUnits, status: status.readUnits + other.readUnits } },
      lambda,
      webhookRequests: run.webhooks.posted,
      ...(analysis.logBytes ? { logBytes: analysis.logBytes.total } : {}),
    });
    const wallCost = projectCost(usage(wall), prices);
    const cpuLambda = analysis.lambda.cpu.length ? analysis.lambda.cpu : wall;
    const cpuCost = projectCost(usage(cpuLambda), prices);
    const headline = wallCost.totalWithFunctionUrl >= cpuCost.totalWithFunctionUrl ? 'wall' : 'cpu';
    analysis.cost = { wall: wallCost, cpu: cpuCost, headline };

    // Full status batches: per-batch requests (receive, delete, counter write) and invocations
    // shrink to events / 10; the per-event work stays, so total GB-s stays.
    const statusBuckets = instrument.buckets.filter((b) => b.path === 'status');
    const statusReceive = statusBuckets.filter((b) => b.service === 'sqs' && b.operation === 'ReceiveMessage' && b.resource === 'status');
    const events = statusReceive.reduce((n, b) => n + b.messages, 0);
    const batches = statusReceive.reduce((n, b) => n + b.requests - b.emptyReceives, 0);
    const ASSUMED = 10;
    if (batches > 0 && events / batches < ASSUMED) {
      const factor = Math.ceil(events / ASSUMED) / batches;
      const perBatchSqs = statusBuckets.filter((b) => b.service === 'sqs' && (b.operation === 'DeleteMessageBatch' || b.operation === 'ReceiveMessage') && b.resource === 'status').reduce((n, b) => n + b.billable - b.emptyReceives, 0);
      const counterWru = statusBuckets.filter((b) => b.service === 'dynamodb' && b.resource === 'campaigns' && WRITE_OPERATIONS.has(b.operation)).reduce((n, b) => n + b.tableCapacity + b.indexCapacity, 0);
      const batched = usage((headline === 'wall' ? wall : cpuLambda).map((f) => (f.name === 'status' ? { ...f, invocations: Math.ceil(events / ASSUMED), billedMsPerInvocation: (f.billedMsPerInvocation * f.invocations) / Math.ceil(events / ASSUMED) } : f)));
      batched.sqsRequests.status -= perBatchSqs * (1 - factor);
      batched.dynamoDb.writeUnits.status -= counterWru * (1 - factor);
      analysis.cost.fullStatusBatches = { projection: projectCost(batched, prices), measuredEventsPerBatch: round(events / batches, 2)!, assumedEventsPerBatch: ASSUMED };
    }
  }

  // --- targets -------------------------------------------------------------------------------
  const pct = (x: number | undefined, digits = 1) => (x === undefined ? 'n/a' : `${(x * 100).toFixed(digits)} %`);
  const ofCeiling = run.sends.ofCeiling;
  analysis.targets.push({ name: 'send rate', goal: '≥ 95 % of the ceiling', value: `${pct(ofCeiling)} (${run.sends.steadyRate ?? 'n/a'}/s of ${run.options.rate}/s)`, pass: ofCeiling === undefined ? undefined : ofCeiling >= 0.95 });
  analysis.targets.push({ name: 'throttled (130429)', goal: '< 0.1 % of responses', value: `${pct(run.sends.throttledShare, 3)} (${run.sends.throttled} of ${run.sends.apiCalls})`, pass: run.sends.throttledShare < 0.001 });
  const send = analysis.perJob?.send;
  analysis.targets.push({ name: 'SQS requests per job, send path', goal: '≤ 0.4', value: send ? String(send.sqs) : 'not available', pass: send ? send.sqs <= 0.4 : undefined });
  analysis.targets.push({ name: 'DynamoDB writes per job, send path', goal: '≤ 3', value: send ? `${send.dynamoWrites} (${send.writeUnits} WRU)` : 'not available', pass: send ? send.dynamoWrites <= 3 : undefined });
  const cost = analysis.cost ? analysis.cost[analysis.cost.headline] : undefined;
  analysis.targets.push({
    name: 'AWS cost per million messages, webhooks included',
    goal: '< $5',
    value: cost ? `$${cost.totalWithFunctionUrl.toFixed(2)} (function URL; $${cost.totalWithHttpApi.toFixed(2)} with HTTP API)` : 'not available',
    pass: cost ? cost.totalWithFunctionUrl < 5 : undefined,
  });
  if (!run.completed) analysis.targets.push({ name: 'run completed', goal: 'every job accepted and its webhooks applied', value: run.incompleteReason ?? 'no', pass: false });
  return analysis;
}
