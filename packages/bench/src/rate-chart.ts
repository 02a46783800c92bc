/**
 * The steady window's sends per second against the ceiling, as a text chart (one column per
 * second, or per group of seconds on long runs) and its worst seconds. Text rather than SVG: it
 * reads the same in a terminal, a results file and BENCHMARKS.md, and a gap is one short column.
 */

const EIGHTHS = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** What the per-second counts say about holding the pace. */
export interface SecondsSummary {
  seconds: number;
  /** Seconds with fewer sends than 90 % of the ceiling. */
  under90: number;
  /** The lowest seconds, lowest first: their index in the window and their sends. */
  worst: Array<{ second: number; sends: number }>;
  median: number;
}

export function summarizeSeconds(counts: readonly number[], ceiling: number, worstShown = 5): SecondsSummary {
  const sorted = [...counts].sort((a, b) => a - b);
  return {
    seconds: counts.length,
    under90: counts.filter((sends) => sends < 0.9 * ceiling).length,
    worst: counts
      .map((sends, second) => ({ second, sends }))
      .sort((a, b) => a.sends - b.sends || a.second - b.second)
      .slice(0, worstShown),
    median: sorted.length > 0 ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0,
  };
}

/**
 * Rows from 100 % of the ceiling down to 0 in steps of 100/rows %, an eighth-block per column
 * for the part of a row a second fills; a column stands for the mean of `ceil(n / maxColumns)`
 * seconds.
 */
export function rateChart(counts: readonly number[], ceiling: number, options: { rows?: number; maxColumns?: number } = {}): string[] {
  const rows = options.rows ?? 10;
  const perColumn = Math.max(1, Math.ceil(counts.length / (options.maxColumns ?? 100)));
  const columns: number[] = [];
  for (let i = 0; i < counts.length; i += perColumn) {
    const group = counts.slice(i, i + perColumn);
    columns.push(group.reduce((a, b) => a + b, 0) / group.length / ceiling);
  }
  const lines: string[] = [];
  for (let row = rows; row >= 1; row--) {
    const label = `${String(Math.round((row * 100) / rows)).padStart(3)} % ┤`;
    const cells = columns.map((share) => {
      const filled = Math.max(0, Math.min(1, share * rows - (row - 1)));
      return EIGHTHS[Math.round(filled * 8)]!;
    });
    lines.push(`${label}${cells.join('')}`);
  }
  lines.push(`      └${'─'.repeat(columns.length)}`);
  lines.push(`       ${perColumn === 1 ? 'one column per second' : `one column per ${perColumn} s (their mean)`}; 100 % = ${ceiling}/s`);
  return lines;
}
