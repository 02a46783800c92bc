import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type LocalEndpoints, localStackEnv } from 'lambda-local-kit';
import { afterAll } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface WorkerOptions {
  endpoints: LocalEndpoints;
  stage: string;
  metaBaseUrl: string;
  /** Function environment (WORKER_ENV). */
  env?: Record<string, string>;
  /** Passed to deployLocally's `resourceOverrides` (WORKER_RESOURCE_OVERRIDES). */
  resourceOverrides?: Record<string, Record<string, unknown>>;
  functionTimeoutMs?: number;
  concurrency?: number;
  /** The functions it runs (WORKER_FUNCTIONS); default all. */
  functions?: readonly string[];
}

export interface WorkerProcess {
  pid: number;
  /** Resolves with the worker's `{"ready":true,…}` line. */
  ready: Promise<{ webhookUrl?: string }>;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every JSON line it printed. */
  lines: unknown[];
  stderr(): string;
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts `local/worker.ts` (the service's functions under their event sources, in a process of
 * their own) with the Node binary running the tests. Workers still running after the file are
 * killed (SIGKILL, by their own pid).
 */
export function startWorker(options: WorkerOptions): WorkerProcess {
  const child: ChildProcess = spawn(process.execPath, ['local/worker.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...localStackEnv(options.endpoints),
      WORKER_STAGE: options.stage,
      WORKER_META_BASE_URL: options.metaBaseUrl,
      WORKER_ENV: JSON.stringify(options.env ?? {}),
      ...(options.resourceOverrides ? { WORKER_RESOURCE_OVERRIDES: JSON.stringify(options.resourceOverrides) } : {}),
      ...(options.functionTimeoutMs ? { WORKER_FUNCTION_TIMEOUT_MS: String(options.functionTimeoutMs) } : {}),
      ...(options.concurrency ? { WORKER_CONCURRENCY: String(options.concurrency) } : {}),
      ...(options.functions ? { WORKER_FUNCTIONS: options.functions.join(',') } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: unknown[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-20_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const ready = new Promise<{ webhookUrl?: string }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        return; // a log line that is not ours
      }
      lines.push(parsed);
      if ((parsed as { ready?: boolean }).ready) resolve(parsed as { webhookUrl?: string });
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal}): ${stderr.slice(-2_000)}`)),
    );
  });
  ready.catch(() => {});
  return {
    pid: child.pid!,
    ready,
    exited,
    lines,
    stderr: () => stderr,
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
});
