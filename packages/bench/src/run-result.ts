/** Turns what a run collected into its {@link RunResult}: rates, latencies, counts, as stored in the results file. */
import type { InstrumentReport } from './attribution.ts';
import type { JobsScan } from './jobs-scan.ts';
import type { ProcSampler } from './proc-sampler.ts';
import { fleetCeiling, numbersOf } from './scenario.ts';
import type { SimSummary } from './simulator-protocol.ts';
import { maxInWindow, percentile, perSecondCounts, round, spread, steadyRate } from './stats.ts';
import type { LambdaSettings } from './target.ts';
import type { NumberFigures, PacingFigures, PacingLine, RunOptions, RunResult, WorkerLogBytes, WorkerStopped } from './types.ts';

/** Everything a run collected after its workers stopped. */
export interface Collected {
  options: RunOptions;
  started: number;
  enqueueStarted: number;
  finishedAt: number;
  completed: boolean;
  incompleteReason: string | undefined;
  concurrency: number;
  machineBusyBeforePercent: number;
  summary: SimSummary;
  /** When each recipient's job was created, by the recipient's digits. */
  createdAt: ReadonlyMap<string, number>;
  /** Each recipient's campaign, by the recipient's digits. */
  campaignOf: ReadonlyMap<string, string>;
  jobs: JobsScan;
  stopped: WorkerStopped | undefined;
  cpuMsAfterReady: number | undefined;
  logBytes: WorkerLogBytes;
  pacingLines: PacingLine[];
  metricTotals: Record<string, number>;
  stderrTail: string[];
  sampler: ProcSampler;
  producerRequests: Record<string, number>;
  instrument: InstrumentReport | undefined;
  lambda: LambdaSettings;
}

/** The run's result, ready to be analysed and stored. */
export function runResult(c: Collected): RunResult {
  const { options, summary, stopped, instrument, jobs } = c;
  const acceptedTimes = summary.accepted.map(([, at]) => at).sort((a, b) => a - b);
  const steady = steadyRate(acceptedTimes);
  const enqueueToAccepted = enqueueToAcceptedMs(summary, c.createdAt);
  const throttled = summary.stats.byOutcome['130429'] ?? 0;
  const acceptedCount = summary.stats.byOutcome.accepted ?? 0;
  return {
    label: options.label,
    options: { ...options, say: undefined, signal: undefined } as unknown as Omit<RunOptions, 'say' | 'signal'>,
    startedAt: new Date(c.started).toISOString(),
    completed: c.completed,
    ...(c.incompleteReason ? { incompleteReason: c.incompleteReason } : {}),
    durationSeconds: round((c.finishedAt - c.enqueueStarted) / 1000, 1)!,
    concurrency: c.concurrency,
    machineBusyBeforePercent: c.machineBusyBeforePercent,
    sends: {
      accepted: acceptedCount,
      acceptedRecipients: summary.acceptedRecipients,
      apiCalls: summary.stats.total,
      byOutcome: summary.stats.byOutcome,
      throttled,
      throttledShare: summary.stats.total > 0 ? throttled / summary.stats.total : 0,
      ...(steady
        ? {
            steadyRate: round(steady.rate, 2),
            steadyWindow: { fromMs: steady.fromMs, toMs: steady.toMs, count: steady.count },
            ofCeiling: round(steady.rate / fleetCeiling(options), 4),
          }
        : {}),
      maxInAnySecond: maxInWindow(acceptedTimes),
      timeline: timeline(summary),
      ...(steady ? { steadySeconds: perSecondCounts(acceptedTimes, steady.fromMs, steady.toMs) } : {}),
    },
    ...(c.pacingLines.length > 0 ? { pacing: pacingFigures(c.pacingLines) } : {}),
    ...(numbersOf(options) > 1 ? { perNumber: numberFigures(summary, c.campaignOf, options.rate) } : {}),
    metrics: c.metricTotals,
    latency: {
      enqueueToAcceptedMs: {
        p50: percentile(enqueueToAccepted, 50),
        p99: percentile(enqueueToAccepted, 99),
        max: percentile(enqueueToAccepted, 100),
      },
      claimToAcceptedMs: { p50: percentile(jobs.claimToAccepted, 50), p99: percentile(jobs.claimToAccepted, 99) },
    },
    webhooks: {
      delivered: summary.webhooks.delivered,
      posted: summary.webhooks.posted,
      failed: summary.webhooks.failed,
      perMessage: acceptedCount > 0 ? round(summary.webhooks.posted / acceptedCount, 3)! : 0,
    },
    jobStates: jobs.jobStates,
    worker: {
      ...(stopped ? { stopped } : {}),
      ...(c.cpuMsAfterReady !== undefined
        ? { cpuMsAfterReady: c.cpuMsAfterReady, cpuMsPer1000Jobs: round((c.cpuMsAfterReady / options.jobs) * 1000, 0) }
        : {}),
      ...(stopped ? { peakRssMb: stopped.maxRssMb } : {}),
      logBytes: c.logBytes,
      stderrTail: c.stderrTail,
    },
    processes: {
      ...(steady ? { steady: c.sampler.usageBetween(steady.fromMs, steady.toMs) } : {}),
      whole: c.sampler.usageBetween(c.enqueueStarted, c.finishedAt),
    },
    requests: {
      ...(stopped?.requests ? { counted: stopped.requests } : {}),
      countedSource: stopped?.requests ? 'worker RequestCounter' : 'not available',
      producer: c.producerRequests,
      ...(instrument
        ? {
            instrument: {
              buckets: instrument.buckets,
              byCommand: instrument.byCommand,
              invocations: instrument.invocations,
              latencyMs: latencySummary(instrument.latencySamples),
            },
          }
        : {}),
    },
    ...(jobs.scanError ? { scanError: jobs.scanError } : {}),
    items: {
      sampled: jobs.itemSizes.length,
      jobsItemBytes: {
        mean: round(jobs.itemSizes.reduce((a, b) => a + b, 0) / Math.max(1, jobs.itemSizes.length), 0),
        max: percentile(jobs.itemSizes, 100),
      },
    },
    memoryMb: c.lambda.memoryMb,
    lambdaLogging: c.lambda.logging,
  };
}

/** Each number's calls, 130429s and steady rate, and its campaigns' shares of its steady window. */
export function numberFigures(summary: SimSummary, campaignOf: ReadonlyMap<string, string>, ceiling: number): NumberFigures[] {
  // Each accepted send as its campaign and arrival time, by number.
  const sendsByNumber = new Map<string, Array<{ campaignId: string; at: number }>>();
  for (const [digits, at, phoneNumberId = 'unknown'] of summary.accepted) {
    const sends = sendsByNumber.get(phoneNumberId) ?? [];
    sends.push({ campaignId: campaignOf.get(digits) ?? 'unknown', at });
    sendsByNumber.set(phoneNumberId, sends);
  }
  const ids = [...new Set([...Object.keys(summary.byNumber ?? {}), ...sendsByNumber.keys()])].sort();
  return ids.map((phoneNumberId) => {
    const outcomes = summary.byNumber?.[phoneNumberId] ?? {};
    const apiCalls = Object.values(outcomes).reduce((a, b) => a + b, 0);
    const throttled = outcomes['130429'] ?? 0;
    const sends = (sendsByNumber.get(phoneNumberId) ?? []).sort((a, b) => a.at - b.at);
    const steady = steadyRate(sends.map((send) => send.at));
    const inWindow = steady ? sends.filter((send) => send.at >= steady.fromMs && send.at <= steady.toMs) : sends;
    const campaignIds = [...new Set(sends.map((send) => send.campaignId))].sort();
    return {
      phoneNumberId,
      apiCalls,
      accepted: sends.length,
      throttled,
      throttledShare: apiCalls > 0 ? throttled / apiCalls : 0,
      ...(steady ? { steadyRate: round(steady.rate, 2)!, ofCeiling: round(steady.rate / ceiling, 4)! } : {}),
      campaigns: campaignIds.map((campaignId) => ({
        campaignId,
        accepted: sends.filter((send) => send.campaignId === campaignId).length,
        shareInSteadyWindow: round(inWindow.filter((send) => send.campaignId === campaignId).length / Math.max(1, inWindow.length), 4)!,
      })),
    };
  });
}

/** The pacing lines' distributions: hand-over, lead, and the times the pace went idle. */
export function pacingFigures(lines: readonly PacingLine[]): PacingFigures {
  const values = (key: keyof PacingLine) => lines.flatMap((line) => (line[key] === undefined ? [] : [line[key]]));
  const idle = values('idleMs').filter((ms) => ms > 0);
  const leads = values('leadMs');
  return {
    invocations: lines.length,
    handOverMs: spread(values('handOverMs')),
    leadMs: { ...spread(leads), ...(leads.length > 0 ? { min: Math.min(...leads) } : {}) },
    idle: { count: idle.length, totalMs: idle.reduce((a, b) => a + b, 0), maxMs: idle.length > 0 ? Math.max(...idle) : 0 },
  };
}

/** Per recipient: its job's creation to the simulator's arrival time of its first accepted send. */
function enqueueToAcceptedMs(summary: SimSummary, createdAt: ReadonlyMap<string, number>): number[] {
  const firstAccepted = new Map<string, number>();
  for (const [digits, at] of summary.accepted) if (!firstAccepted.has(digits)) firstAccepted.set(digits, at);
  const latencies: number[] = [];
  for (const [digits, at] of firstAccepted) {
    const created = createdAt.get(digits);
    if (created !== undefined) latencies.push(at - created);
  }
  return latencies;
}

function timeline(summary: SimSummary): RunResult['sends']['timeline'] {
  return summary.perSecond.outcomes.map((outcomes, second) => {
    const accepted = outcomes.accepted ?? 0;
    const throttled = outcomes['130429'] ?? 0;
    const total = Object.values(outcomes).reduce((a, b) => a + b, 0);
    return { second, accepted, throttled, other: total - accepted - throttled };
  });
}

function latencySummary(samples: Record<string, number[]>): Record<string, { p50?: number; p99?: number; n: number }> {
  return Object.fromEntries(
    Object.entries(samples).map(([key, values]) => [
      key,
      { p50: round(percentile(values, 50), 1), p99: round(percentile(values, 99), 1), n: values.length },
    ]),
  );
}
