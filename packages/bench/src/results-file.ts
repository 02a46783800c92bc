/** The results file of one command line: every run's raw measurements, rewritten after each run. */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Analysis } from './analyze.ts';
import type { MachineInfo } from './machine.ts';
import type { Prices } from './prices.ts';
import type { RunResult } from './types.ts';

/** What {@link ResultsFile} records besides the runs. */
export interface ResultsFileInput {
  dir: string;
  /** The scenario's name, or `custom`. */
  runName: string;
  machine: MachineInfo;
  argv: string[];
  prices: Prices;
}

/** `<dir>/<start time>-<runName>.json`, named when the command line started. */
export class ResultsFile {
  readonly rows: Array<{ run: RunResult; analysis: Analysis }> = [];
  private readonly input: ResultsFileInput;
  private readonly stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);

  constructor(input: ResultsFileInput) {
    this.input = input;
  }

  /** Adds a finished run. */
  add(row: { run: RunResult; analysis: Analysis }): void {
    this.rows.push(row);
  }

  /** Writes the file with every run so far and returns its path. */
  save(): string {
    const { dir, runName, machine, argv, prices } = this.input;
    mkdirSync(dir, { recursive: true });
    const path = `${dir.replace(/\/$/, '')}/${this.stamp}-${runName}.json`;
    writeFileSync(path, `${JSON.stringify({ machine, argv, prices, runs: this.rows }, null, 1)}\n`);
    return path;
  }
}
