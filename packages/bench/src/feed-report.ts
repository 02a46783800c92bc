/** The feed scenario's figures: requests per 1,000 rows, the cost projections, and the report as text. */
import { type FeedProjection, type FeedUsage, perThousandRows, projectFeedCost } from './feed-cost.ts';
import type { FeedRunResult, LaunchRunResult } from './feed-run.ts';
import type { Prices } from './prices.ts';
import { tableHead } from './report.ts';

/** The rates the feeder's cost is projected at: Meta's standard and HIGH throughput. */
export const PROJECTED_RATES = [80, 1_000] as const;
/** The goal for the feed's cost per million rows. */
export const COST_GOAL = 0.5;
/** The goal for the feeder's memory, whatever the audience's size. */
export const MEMORY_GOAL_MB = 256;

export interface FeedAnalysis {
  rowsPerSecond?: number;
  perThousandRows: { feeder: Record<string, number>; ticker: Record<string, number> };
  measured?: FeedProjection;
  projected: FeedProjection[];
}

export function analyzeFeed(run: FeedRunResult, prices: Prices): FeedAnalysis {
  const rows = Math.max(1, run.rowsRead);
  const perThousand = { feeder: perThousandRows(run.requests.feeder, rows), ticker: perThousandRows(run.requests.ticker, rows) };
  if (!run.feedSeconds || run.rowsRead === 0) return { perThousandRows: perThousand, projected: [] };
  const usage: FeedUsage = {
    rows: run.rowsRead,
    feedSeconds: run.feedSeconds,
    feeder: { requests: run.requests.feeder, invocations: run.feederInvocations, memoryMb: run.memoryMb.feeder },
    ticker: {
      requests: run.requests.ticker,
      ticks: run.ticks.count,
      msPerTick: run.ticks.count > 0 ? run.ticks.totalMs / run.ticks.count : 0,
      memoryMb: run.memoryMb.ticker,
    },
    campaignItemBytes: run.campaignItemBytes,
  };
  return {
    rowsPerSecond: run.rowsRead / run.feedSeconds,
    perThousandRows: perThousand,
    measured: projectFeedCost(usage, prices),
    projected: PROJECTED_RATES.map((rate) => projectFeedCost(usage, prices, rate)),
  };
}

const n = (value: number | undefined, digits = 0) =>
  value === undefined || !Number.isFinite(value)
    ? 'n/a'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const services = (byService: Record<string, number>) =>
  ['sqs', 'dynamodb', 's3', 'ssm'].map((service) => `${service.toUpperCase()} ${n(byService[service] ?? 0, 2)}`).join(', ');

export function formatFeedRun(run: FeedRunResult, analysis: FeedAnalysis): string {
  const lines: string[] = [];
  lines.push(
    `=== ${run.label}: ${n(run.rows)} rows fed at ${n(1_000)}/s × ${n(3_600)} s of horizon (nothing sends: the feeder never waits)${run.completed ? '' : `  — INCOMPLETE: ${run.incompleteReason}`}`,
  );
  lines.push(
    `  audience                      ${n(run.audienceBytes / 1024 / 1024, 1)} MB, uploaded in ${n(run.uploadSeconds, 1)} s (multipart)`,
  );
  lines.push(
    `  launch time → launched        ${run.launchDelayMs === undefined ? 'n/a' : `${n(run.launchDelayMs)} ms`} (ticker every 2 s here)`,
  );
  lines.push(
    `  rows per second               ${n(analysis.rowsPerSecond)} (${n(run.rowsRead)} rows in ${n(run.feedSeconds, 1)} s, launched → fed); steady ${n(run.steadyRowsPerSecond)} (10 % → 90 %)`,
  );
  lines.push(`  jobs enqueued                 ${n(run.enqueued)} (the send queue purged ${n(run.purges)} times as it filled)`);
  lines.push(
    `  worker                        node ${[...(run.workerProcess?.nodeArgs ?? []), run.workerProcess?.script ?? '?'].join(' ')}`,
  );
  lines.push(
    `  worker peak RSS               ${n(run.workerRss.peakMb)} MB while feeding (sampled each second; process max ${n(run.workerRss.maxRssMb)} MB); by tenth of the audience: ${run.workerRss.byTenth.map((t) => n(t.rssMb)).join(' ')} MB`,
  );
  lines.push(
    `  worker CPU                    ${n(run.workerCpuMs)} ms in all; ${n(((run.workerCpuMs ?? 0) / Math.max(1, run.rowsRead)) * 1000, 1)} ms per 1,000 rows`,
  );
  lines.push(`  requests per 1,000 rows       feeder (with its feed-queue event source): ${services(analysis.perThousandRows.feeder)}`);
  lines.push(
    `                                ticker (${n(run.ticks.count)} ticks of ${n(run.ticks.count ? run.ticks.totalMs / run.ticks.count : undefined, 1)} ms): ${services(analysis.perThousandRows.ticker)}`,
  );
  lines.push(`  feeder's requests             ${JSON.stringify(run.requests.feeder)}`);
  lines.push(
    `  campaign item                 ${n(run.campaignItemBytes)} bytes: every write of it ${Math.ceil(run.campaignItemBytes / 1024)} WRU, every read ${Math.ceil(run.campaignItemBytes / 4096)} RRU`,
  );
  for (const projection of [analysis.measured, ...analysis.projected]) if (projection) lines.push(...formatProjection(projection));
  lines.push('  targets');
  const worst = analysis.projected.reduce((max, p) => Math.max(max, p.total), 0);
  lines.push(
    target(
      `feeder memory flat, under ${MEMORY_GOAL_MB} MB`,
      `< ${MEMORY_GOAL_MB} MB`,
      run.workerRss.peakMb > 0 ? run.workerRss.peakMb < MEMORY_GOAL_MB : undefined,
      `${n(run.workerRss.peakMb)} MB`,
    ),
  );
  lines.push(
    target(
      'cost per million rows (at 80/s and 1,000/s)',
      `< $${COST_GOAL.toFixed(2)}`,
      analysis.projected.length ? worst < COST_GOAL : undefined,
      `$${worst.toFixed(3)}`,
    ),
  );
  return lines.join('\n');
}

function target(name: string, goal: string, pass: boolean | undefined, value: string): string {
  return `    ${pass === undefined ? 'N/A ' : pass ? 'PASS' : 'FAIL'}  ${name.padEnd(48)} ${goal.padEnd(12)} ${value}`;
}

function formatProjection(projection: FeedProjection): string[] {
  const heading =
    projection.ratePerSecond === undefined
      ? `  cost per million rows, as measured (the feeder flat out for ${n(projection.feederSeconds)} s; a tick a minute)`
      : `  cost per million rows, paced at ${n(projection.ratePerSecond)}/s (the feeder runs ${n(projection.feederSeconds)} s; waiting included)`;
  return [
    heading,
    ...projection.lines.map((line) => `    ${line.item.padEnd(30)} $${line.perMillion.toFixed(4).padStart(7)}  ${line.detail}`),
    `    ${'total'.padEnd(30)} $${projection.total.toFixed(4).padStart(7)}`,
  ];
}

export function formatLaunch(run: LaunchRunResult): string {
  const since = (at: number | undefined, from: number | undefined) =>
    at === undefined || from === undefined ? 'n/a' : `${n(at - from)} ms`;
  return [
    `=== ${run.label}: ${n(run.rows)} rows sent at ${run.rate}/s, the ticker every ${n(run.tickEveryMs / 1000)} s${run.completed ? '' : `  — INCOMPLETE: ${run.incompleteReason}`}`,
    `  launch time → first accepted  ${since(run.firstAcceptedAt, run.launchAt)}`,
    `    launch time → launched      ${since(run.launchedAt, run.launchAt)}  the ticker's part: it waits for the launch's second, then the preflight (Graph API, S3)`,
    `    launched → jobs enqueued    ${since(run.firstEnqueueSeenAt, run.launchedAt)}  feed queue → feeder (event source poll) → first 100 rows on the send queue (seen on the item, read every 100 ms)`,
    `    enqueued → first claim      ${since(run.firstClaimedAt, run.firstEnqueueSeenAt)}  send queue → send function (batching window) → claim`,
    `    claim → accepted            ${since(run.firstAcceptedAt, run.firstClaimedAt)}  the claim lead before the send time, and the MM API's answer`,
  ].join('\n');
}

export function formatFeedTable(rows: Array<{ run: FeedRunResult; analysis: FeedAnalysis }>): string {
  const header =
    '| rows | rows/s | worker peak RSS | SQS · DynamoDB · S3 per 1,000 rows (feeder) | $/M rows measured | $/M at 80/s | $/M at 1,000/s |';
  const lines = tableHead(header);
  for (const { run, analysis } of rows) {
    const f = analysis.perThousandRows.feeder;
    const [at80, at1000] = analysis.projected;
    lines.push(
      `| ${n(run.rows)}${run.completed ? '' : ' (incomplete)'} | ${n(analysis.rowsPerSecond)} | ${n(run.workerRss.peakMb)} MB | ${n(f.sqs, 2)} · ${n(f.dynamodb, 2)} · ${n(f.s3, 3)} | $${analysis.measured?.total.toFixed(4) ?? 'n/a'} | $${at80?.total.toFixed(4) ?? 'n/a'} | $${at1000?.total.toFixed(4) ?? 'n/a'} |`,
    );
  }
  return lines.join('\n');
}
