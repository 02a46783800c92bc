/**
 * The feed scenario's two runs: an audience fed flat out (rows per second, memory, requests per
 * row), and a small campaign sent for real (launch time → launch → first accepted send).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { AUDIENCE_COLUMNS } from './feed-audience.ts';
import { type Stand, type StandSetup, withStand } from './feed-stand.ts';
import { PHONE_NUMBER_ID, TEMPLATE } from './scenario.ts';
import type { BenchTarget, FeedBenchTarget, FeedCampaignState } from './target.ts';
import type { WorkerStopped } from './types.ts';

/** Meta's HIGH throughput tier: the feeder's share is the rate, and the preflight reads HIGH from the simulator. */
export const FEED_RATE = 1_000;
/** The feed horizon's maximum: rate × horizon (3.6 million) is more than any audience fed here, so the feeder never waits. */
export const FEED_HORIZON_SECONDS = 3_600;
/** The ticker in the feed runs: it launches the campaign and kicks a feed whose invocation ended. */
const FEED_TICK_MS = 2_000;
/** The send queue is emptied this often: nothing sends, and the stand-in would otherwise hold every job in memory. */
const PURGE_EVERY_MS = 10_000;

export interface FeedRunOptions {
  label: string;
  rows: number;
  logLevel: 'INFO' | 'SILENT';
  stallSeconds: number;
  timeoutSeconds: number;
  signal?: AbortSignal;
  say: (line: string) => void;
}

/** One feed run, as stored in the results file. */
export interface FeedRunResult {
  label: string;
  rows: number;
  completed: boolean;
  incompleteReason?: string;
  audienceBytes: number;
  uploadSeconds: number;
  /** Launch time → launched (the ticker's precision and the preflight). */
  launchDelayMs?: number;
  /** Launched → whole audience read. */
  feedSeconds?: number;
  rowsRead: number;
  enqueued: number;
  /** Rows per second between 10 % and 90 % of the audience (the start and the report's merge left out). */
  steadyRowsPerSecond?: number;
  /** The worker's script and Node's options (a bundle held to a heap limit measures what Lambda would). */
  workerProcess: { script: string; nodeArgs: string[] };
  /** The worker's RSS while feeding: peak, and per tenth of the audience read. */
  workerRss: { peakMb: number; maxRssMb?: number; byTenth: Array<{ rowsRead: number; rssMb: number }> };
  driverPeakRssMb: number;
  workerCpuMs?: number;
  purges: number;
  campaignItemBytes: number;
  /** Every request of the worker, the ticker's own, and the feeder's own (S3 as `s3.*`). */
  requests: { all: Record<string, number>; ticker: Record<string, number>; feeder: Record<string, number> };
  feederInvocations: number;
  ticks: { count: number; totalMs: number };
  memoryMb: { feeder: number; ticker: number };
}

/** Feeds an audience of `rows` rows with nothing sending, the send queue purged as it fills. */
export async function runFeed(target: BenchTarget, feed: FeedBenchTarget, options: FeedRunOptions): Promise<FeedRunResult> {
  const setup: StandSetup = {
    target,
    feed,
    label: options.label,
    rows: options.rows,
    rate: FEED_RATE,
    functions: [],
    tickEveryMs: FEED_TICK_MS,
    env: { FEED_HORIZON_SECONDS: String(FEED_HORIZON_SECONDS) },
    logLevel: options.logLevel,
    say: options.say,
  };
  return withStand(setup, async (stand) => {
    const campaignId = `${options.label}-${Date.now()}`;
    const launchAt = Math.ceil((Date.now() + 3_000) / 1000) * 1000;
    await createCampaign(stand, { campaignId, launchAt });
    options.say(`[${options.label}] campaign created, launching at ${new Date(launchAt).toISOString()}; feeding…`);
    let purges = 0;
    const purger = setInterval(() => {
      void stand.clients.sqs
        .send(new PurgeQueueCommand({ QueueUrl: stand.stage.sendQueueUrl }))
        .then(() => purges++)
        .catch(() => undefined);
    }, PURGE_EVERY_MS);
    try {
      const watched = await watchFeed(stand, { campaignId, options });
      const stopped = await stand.stopWorker();
      return feedResult({ stand, watched, stopped, launchAt, purges, options, memory: memoryOf(target, feed) });
    } finally {
      clearInterval(purger);
    }
  });
}

function memoryOf(target: BenchTarget, feed: FeedBenchTarget): { feeder: number; ticker: number } {
  const { memoryMb } = target.lambdaSettings();
  return { feeder: memoryMb[feed.functionNames.feeder] ?? 0, ticker: memoryMb[feed.functionNames.ticker] ?? 0 };
}

async function createCampaign(stand: Stand, input: { campaignId: string; launchAt: number }): Promise<void> {
  await stand.stage.createCampaign({
    ...input,
    phoneNumberId: PHONE_NUMBER_ID,
    template: { name: TEMPLATE, languageCode: 'en_US' },
    columns: AUDIENCE_COLUMNS,
    audienceKey: stand.audienceKey,
  });
}

interface FeedSample {
  at: number;
  rowsRead: number;
  rssMb?: number;
}

interface Watched {
  samples: FeedSample[];
  last?: FeedCampaignState;
  incompleteReason?: string;
}

/** Reads the campaign every second until its audience is read, it fails, nothing moves for `stallSeconds` or time is up. */
async function watchFeed(stand: Stand, { campaignId, options }: { campaignId: string; options: FeedRunOptions }): Promise<Watched> {
  const samples: FeedSample[] = [];
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  let last: FeedCampaignState | undefined;
  let movedAt = Date.now();
  let said = 0;
  for (;;) {
    const state = await stand.stage.readCampaign(campaignId);
    const rssMb = stand.sampler.samples.at(-1)?.rssMb.worker;
    if (state && state.rowsRead !== last?.rowsRead) movedAt = Date.now();
    last = state;
    samples.push({ at: Date.now(), rowsRead: state?.rowsRead ?? 0, ...(rssMb === undefined ? {} : { rssMb }) });
    if (state?.fedAt !== undefined) return { samples, last: state };
    if (state?.status === 'FAILED') return { samples, last: state, incompleteReason: `the campaign failed: ${state.statusReason}` };
    if (Date.now() - movedAt > options.stallSeconds * 1000)
      return { samples, last, incompleteReason: `no rows read for ${options.stallSeconds} s` };
    if (Date.now() > deadline) return { samples, last, incompleteReason: `not fed within ${options.timeoutSeconds} s` };
    if (options.signal?.aborted) return { samples, last, incompleteReason: 'interrupted' };
    if (Date.now() - said >= 15_000 && state) {
      said = Date.now();
      options.say(`[${options.label}] ${state.status}: ${state.rowsRead.toLocaleString('en-US')} rows read, worker RSS ${rssMb ?? '?'} MB`);
    }
    await sleep(1_000);
  }
}

interface ResultInput {
  stand: Stand;
  watched: Watched;
  stopped: WorkerStopped | undefined;
  launchAt: number;
  purges: number;
  options: FeedRunOptions;
  memory: { feeder: number; ticker: number };
}

function feedResult({ stand, watched, stopped, launchAt, purges, options, memory }: ResultInput): FeedRunResult {
  const { last, samples } = watched;
  const launchedAt = last?.launchedAt;
  const fedAt = last?.fedAt;
  const all = stopped?.requests ?? {};
  const ticker = stopped?.requestsByFunction?.campaigns ?? {};
  const usage = stand.sampler.usageBetween(launchedAt ?? launchAt, fedAt ?? Date.now());
  return {
    label: options.label,
    rows: options.rows,
    completed: fedAt !== undefined,
    ...(watched.incompleteReason ? { incompleteReason: watched.incompleteReason } : {}),
    audienceBytes: stand.audienceBytes,
    uploadSeconds: stand.uploadSeconds,
    ...(launchedAt !== undefined ? { launchDelayMs: launchedAt - launchAt } : {}),
    ...(launchedAt !== undefined && fedAt !== undefined ? { feedSeconds: (fedAt - launchedAt) / 1000 } : {}),
    rowsRead: last?.rowsRead ?? 0,
    enqueued: last?.enqueued ?? 0,
    ...steadyRate(samples, options.rows),
    workerProcess: stand.workerProcess,
    workerRss: {
      peakMb: usage.peakRssMb.worker ?? 0,
      ...(stopped ? { maxRssMb: stopped.maxRssMb } : {}),
      byTenth: rssByTenth(samples, options.rows),
    },
    driverPeakRssMb: usage.peakRssMb['driver (fauxqs, SSM stand-in)'] ?? 0,
    ...(stopped ? { workerCpuMs: stopped.cpuMs } : {}),
    purges,
    campaignItemBytes: last?.itemBytes ?? 0,
    // The feeder's requests with its event source's (the feed queue's receives and deletes): everything but the ticker's.
    requests: { all, ticker, feeder: subtract(all, ticker) },
    feederInvocations: stopped?.eventSources?.feeder?.invocations ?? 0,
    ticks: stopped?.campaignTicks ?? { count: 0, totalMs: 0 },
    memoryMb: memory,
  };
}

/** `a` − `b`, key by key, dropping what is left at zero. */
export function subtract(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(a)
      .map(([key, value]) => [key, value - (b[key] ?? 0)] as const)
      .filter(([, value]) => value > 0),
  );
}

/** Rows per second between the samples that first passed 10 % and 90 % of the audience. */
export function steadyRate(samples: readonly FeedSample[], rows: number): { steadyRowsPerSecond?: number } {
  const from = samples.find((s) => s.rowsRead >= rows * 0.1);
  const to = samples.find((s) => s.rowsRead >= rows * 0.9);
  if (!from || !to || to.at <= from.at) return {};
  return { steadyRowsPerSecond: (to.rowsRead - from.rowsRead) / ((to.at - from.at) / 1000) };
}

/** The worker's RSS at the first sample past each tenth of the audience: flat memory shows as a flat column. */
function rssByTenth(samples: readonly FeedSample[], rows: number): Array<{ rowsRead: number; rssMb: number }> {
  const byTenth: Array<{ rowsRead: number; rssMb: number }> = [];
  for (let tenth = 1; tenth <= 10; tenth++) {
    const sample = samples.find((s) => s.rowsRead >= (rows * tenth) / 10 && s.rssMb !== undefined);
    if (sample) byTenth.push({ rowsRead: sample.rowsRead, rssMb: sample.rssMb! });
  }
  return byTenth;
}

export interface LaunchRunOptions {
  label: string;
  rows: number;
  /** The send rate (the simulator's ceiling and the number's rate). */
  rate: number;
  tickEveryMs: number;
  logLevel: 'INFO' | 'SILENT';
  say: (line: string) => void;
}

/** Launch time → first accepted send, and the hops between, as stored in the results file. */
export interface LaunchRunResult {
  label: string;
  rows: number;
  rate: number;
  tickEveryMs: number;
  completed: boolean;
  incompleteReason?: string;
  launchAt: number;
  launchedAt?: number;
  /** When the benchmark first saw jobs enqueued on the item (read every 100 ms). */
  firstEnqueueSeenAt?: number;
  /** The first accepted job's claim and acceptance (jobs table). */
  firstClaimedAt?: number;
  firstAcceptedAt?: number;
}

const LAUNCH_WAIT_MS = 300_000;

/**
 * A small campaign sent for real: the worker runs the send path beside the ticker and the feeder,
 * the ticker ticks every `tickEveryMs` (EventBridge: a minute), and the campaign launches 75 s
 * after the worker started, so the tick before it launches it at its second.
 */
export async function runLaunch(target: BenchTarget, feed: FeedBenchTarget, options: LaunchRunOptions): Promise<LaunchRunResult> {
  const setup: StandSetup = {
    target,
    feed,
    label: options.label,
    rows: options.rows,
    rate: options.rate,
    functions: ['send', 'release', 'status', 'webhook', 'countJobChanges'],
    tickEveryMs: options.tickEveryMs,
    env: {},
    logLevel: options.logLevel,
    say: options.say,
  };
  return withStand(setup, async (stand) => {
    const campaignId = `${options.label}-${Date.now()}`;
    const launchAt = Math.ceil((Date.now() + options.tickEveryMs + 15_000) / 1000) * 1000;
    await createCampaign(stand, { campaignId, launchAt });
    options.say(
      `[${options.label}] campaign created, launching at ${new Date(launchAt).toISOString()} (the ticker runs every ${options.tickEveryMs / 1000} s)…`,
    );
    const result: LaunchRunResult = {
      label: options.label,
      rows: options.rows,
      rate: options.rate,
      tickEveryMs: options.tickEveryMs,
      completed: false,
      launchAt,
    };
    const deadline = launchAt + LAUNCH_WAIT_MS;
    while (Date.now() < deadline) {
      const state = await stand.stage.readCampaign(campaignId);
      if (state?.launchedAt !== undefined) result.launchedAt = state.launchedAt;
      if (state && state.enqueued > 0 && result.firstEnqueueSeenAt === undefined) result.firstEnqueueSeenAt = Date.now();
      if (state?.status === 'FAILED') return { ...result, incompleteReason: `the campaign failed: ${state.statusReason}` };
      const first = result.firstEnqueueSeenAt === undefined ? undefined : await firstAccepted(stand);
      if (first) {
        await stand.stopWorker();
        return { ...result, completed: true, firstClaimedAt: first.claimedAt, firstAcceptedAt: first.acceptedAt };
      }
      await sleep(100);
    }
    return { ...result, incompleteReason: `no send accepted within ${LAUNCH_WAIT_MS / 1000} s of the launch time` };
  });
}

/** The job accepted first, from the jobs table; undefined while none is. */
async function firstAccepted(stand: Stand): Promise<{ claimedAt: number; acceptedAt: number } | undefined> {
  const { name, attributes } = stand.stage.jobs;
  let first: { claimedAt: number; acceptedAt: number } | undefined;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await stand.clients.documents.send(
      new ScanCommand({
        TableName: name,
        ExclusiveStartKey: startKey,
        ProjectionExpression: '#claimedAt, #acceptedAt',
        ExpressionAttributeNames: { '#claimedAt': attributes.claimedAt, '#acceptedAt': attributes.acceptedAt },
      }),
    );
    for (const item of page.Items ?? []) {
      const accepted = typeof item[attributes.acceptedAt] === 'string' ? Date.parse(item[attributes.acceptedAt] as string) : undefined;
      if (accepted === undefined || (first && first.acceptedAt <= accepted)) continue;
      first = { acceptedAt: accepted, claimedAt: Date.parse(String(item[attributes.claimedAt])) };
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return first;
}
