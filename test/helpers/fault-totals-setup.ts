import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { formatTotalsTable, readTotals, violations } from './fault-accounting.ts';

/**
 * Global setup of the `faults` project: gives the fault files a directory for their totals and,
 * once every file has run, prints the closing table (jobs in, sent exactly once, unknown, unknown
 * after reconciliation, lost, sent twice per fault family) and fails the run unless nothing was lost and nothing was sent
 * twice. `FAULT_TOTALS_FILE=path.json` also keeps the totals as JSON (e.g. a CI artifact).
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'fault-totals-'));
  project.provide('faultTotalsDir', dir);
  return () => {
    const rows = readTotals(dir);
    rmSync(dir, { recursive: true, force: true });
    if (rows.length === 0) return;
    const outFile = process.env.FAULT_TOTALS_FILE;
    if (outFile) writeFileSync(outFile, JSON.stringify(rows, null, 2));
    console.log(`\nFault suite totals (ground truth: simulator call log, jobs table, DLQs)\n\n${formatTotalsTable(rows)}\n`);
    const problems = rows.flatMap((row) => violations(row).map((problem) => `${row.family}: ${problem}`));
    if (problems.length > 0) {
      // Each file already failed its own closing test; this also fails the run (throwing here would skip the local stack's teardown).
      console.error(`FAULT SUITE FAILED:\n${problems.join('\n')}`);
      process.exitCode = 1;
    }
  };
}
