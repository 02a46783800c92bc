/** The machine a run ran on, and the commit it measured: stored with every results file. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';

/** Cores, memory, CPU model, Node and Java versions, and the commit of the working directory. */
export type MachineInfo = Record<string, string | number>;

/** Reads the machine's description; what cannot be read is `unknown`. */
export function describeMachine(): MachineInfo {
  const cpuModel = /model name\s*:\s*(.+)/.exec(safe(() => readFileSync('/proc/cpuinfo', 'utf8')) ?? '')?.[1] ?? 'unknown';
  const java = safe(() => execFileSync('sh', ['-c', 'java -version 2>&1'], { encoding: 'utf8' }).split('\n')[0]) ?? 'java not found';
  return {
    nproc: availableParallelism(),
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    cpuModel,
    node: process.version,
    java: java.trim(),
    commit: safe(() => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()) ?? 'unknown',
    dirty:
      safe(() =>
        execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim().length > 0 ? 'yes' : 'no',
      ) ?? 'unknown',
  };
}

/** The line a run starts with. */
export function machineLine(info: MachineInfo): string {
  const changes = info.dirty === 'yes' ? ' + uncommitted changes' : '';
  return `machine: ${info.nproc} cores (${info.cpuModel}), ${info.memoryGb} GB, Node ${info.node}, ${info.java}; commit ${info.commit}${changes}`;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
