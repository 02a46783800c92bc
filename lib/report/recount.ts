import { addDeltas, type CountedImage, countsOfJob, isRecountable } from '../jobs/state-gauges.ts';
import type { CampaignCounters, CounterDeltas } from '../ports/campaign-counters.ts';

/** What recounting a campaign needs: its job items, visited one by one, and its counters. */
export interface RecountDeps {
  forEachJob: (campaignId: string, visit: (job: CountedImage) => void) => Promise<void>;
  counters: CampaignCounters;
}

/** One recountable counter: what the counters say, what the job items say, and the difference. */
export interface RecountLine {
  counter: string;
  counted: number;
  recounted: number;
  correction: number;
}

export interface Recount {
  campaignId: string;
  jobs: number;
  /** Every recountable counter that either side has, by name; corrections non-zero where they differ. */
  lines: RecountLine[];
  /** Whether the corrections were added to the counters. */
  written: boolean;
}

/**
 * Recounts a campaign's state gauges, error codes, unique accepted and unique delivered from its
 * job items, the truth they are kept from, and compares them with its counters. With `write`,
 * adds the differences to a counter shard, so that the counters then read as the recount did.
 * The other counters (retries, 131049 hits, duplicates, rejections) count events the job items
 * do not keep: they are shown by `npm run report` and left alone.
 */
export async function recountCampaign(campaignId: string, deps: RecountDeps, options: { write: boolean }): Promise<Recount> {
  const recounted: CounterDeltas = {};
  let jobs = 0;
  await deps.forEachJob(campaignId, (job) => {
    jobs++;
    addDeltas(recounted, countsOfJob(job));
  });
  const counted = await deps.counters.read(campaignId);
  const names = new Set([...Object.keys(recounted), ...Object.keys(counted).filter(isRecountable)]);
  const lines = [...names].sort().map((counter) => {
    const line = { counter, counted: counted[counter] ?? 0, recounted: recounted[counter] ?? 0 };
    return { ...line, correction: line.recounted - line.counted };
  });
  const corrections = Object.fromEntries(lines.filter((l) => l.correction !== 0).map((l) => [l.counter, l.correction]));
  const written = options.write && Object.keys(corrections).length > 0;
  if (written) await deps.counters.add(new Map([[campaignId, corrections]]));
  return { campaignId, jobs, lines, written };
}

/** The recount as a table: one line per counter, the differing ones marked. */
export function formatRecount({ campaignId, jobs, lines, written }: Recount): string {
  const rows = [
    ['counter', 'counted', 'recounted', 'correction'],
    ...lines.map((l) => [l.counter, l.counted, l.recounted, l.correction].map(String)),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const table = rows.map(
    (row, r) =>
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ') +
      (r > 0 && lines[r - 1]!.correction !== 0 ? '  *' : ''),
  );
  const off = lines.filter((l) => l.correction !== 0).length;
  const verdict =
    off === 0
      ? 'counters agree with the job items'
      : written
        ? `${off} counter(s) corrected`
        : `${off} counter(s) differ; --write corrects them`;
  return [`campaign ${campaignId}: ${jobs} job item(s)`, ...table, verdict].join('\n');
}
