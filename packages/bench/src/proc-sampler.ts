/**
 * CPU and memory of the benchmark's processes, from /proc (Linux), sampled once a second: which
 * component is busy (DynamoDB Local, fauxqs in the driver, the simulator, the worker) and how
 * busy the whole machine is.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Clock ticks per second of /proc/<pid>/stat times: 100 on Linux (USER_HZ). */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  /** Epoch ms. */
  at: number;
  /** CPU ms used so far (user + system), by component; undefined once a process is gone. */
  cpuMs: Record<string, number | undefined>;
  rssMb: Record<string, number | undefined>;
  /** Whole machine: busy and total jiffies since boot (all cores). */
  machineBusy: number;
  machineTotal: number;
}

export function readProcessCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export function readProcessRssMb(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** Busy share of all cores over `ms` (in %), e.g. to see what else runs before a benchmark starts. */
export async function machineBusyPercent(ms: number): Promise<number> {
  const a = readMachine();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = readMachine();
  return b.total > a.total ? Math.round(((b.busy - a.busy) / (b.total - a.total)) * 1000) / 10 : 0;
}

function readMachine(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** Children of `parentPid` whose command name is `comm` (e.g. the `java` of DynamoDB Local). */
export function findChildPids(parentPid: number, comm: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parentPid && name === comm) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export class ProcSampler {
  readonly samples: ProcSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pids = new Map<string, number>();

  watch(component: string, pid: number | undefined): void {
    if (pid !== undefined) this.pids.set(component, pid);
  }

  components(): string[] {
    return [...this.pids.keys()];
  }

  sample(): ProcSample {
    const machine = readMachine();
    const s: ProcSample = { at: Date.now(), cpuMs: {}, rssMb: {}, machineBusy: machine.busy, machineTotal: machine.total };
    for (const [component, pid] of this.pids) {
      s.cpuMs[component] = readProcessCpuMs(pid);
      s.rssMb[component] = readProcessRssMb(pid);
    }
    this.samples.push(s);
    return s;
  }

  start(everyMs = 1_000): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** The sample nearest to `at` (epoch ms). */
  nearest(at: number): ProcSample | undefined {
    let best: ProcSample | undefined;
    for (const s of this.samples) if (!best || Math.abs(s.at - at) < Math.abs(best.at - at)) best = s;
    return best;
  }

  /**
   * CPU use between two times, per component, in % of one core; `machine` is the whole
   * machine's busy share in % of all cores.
   */
  usageBetween(
    from: number,
    to: number,
  ): {
    seconds: number;
    percentOfCore: Record<string, number>;
    machinePercent: number;
    otherPercentOfCore: number;
    peakRssMb: Record<string, number>;
  } {
    const a = this.nearest(from);
    const b = this.nearest(to);
    const percentOfCore: Record<string, number> = {};
    const peakRssMb: Record<string, number> = {};
    if (!a || !b || b.at <= a.at) return { seconds: 0, percentOfCore, machinePercent: 0, otherPercentOfCore: 0, peakRssMb };
    const seconds = (b.at - a.at) / 1000;
    for (const component of this.pids.keys()) {
      const start = a.cpuMs[component];
      const end = b.cpuMs[component];
      if (start !== undefined && end !== undefined) percentOfCore[component] = Math.round(((end - start) / 1000 / seconds) * 1000) / 10;
      const peak = Math.max(0, ...this.samples.filter((s) => s.at >= a.at && s.at <= b.at).map((s) => s.rssMb[component] ?? 0));
      peakRssMb[component] = peak;
    }
    const totalDelta = b.machineTotal - a.machineTotal;
    const machinePercent = totalDelta > 0 ? Math.round(((b.machineBusy - a.machineBusy) / totalDelta) * 1000) / 10 : 0;
    // Everything else on the machine (the kernel's network work, other people's processes), in % of one core.
    const ours = Object.values(percentOfCore).reduce((sum, pct) => sum + pct, 0);
    const otherPercentOfCore = Math.max(0, Math.round((machinePercent * availableParallelism() - ours) * 10) / 10);
    return { seconds, percentOfCore, machinePercent, otherPercentOfCore, peakRssMb };
  }
}
