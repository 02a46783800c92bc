/** The MM API simulator in a child process (simulator-process.ts), driven over its IPC channel. */
import { type ChildProcess, fork } from 'node:child_process';
import type { ScenarioInput } from 'mm-api-simulator';
import { waitForExit } from './child-exit.ts';
import type { SimReply, SimRequest } from './simulator-protocol.ts';

type SimRequestBody = SimRequest extends infer R ? (R extends SimRequest ? Omit<R, 'id'> : never) : never;

/** A running simulator process: its URL, requests to it, and its stop. */
export class SimulatorChild {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly child: ChildProcess;
  readonly url: string;
  constructor(child: ChildProcess, url: string) {
    this.child = child;
    this.url = url;
    child.on('message', (raw) => {
      const reply = raw as SimReply;
      const waiter = this.pending.get(reply.id);
      if (!waiter) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error));
    });
    child.on('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('simulator process exited'));
      this.pending.clear();
    });
  }

  /** Forks the simulator with `scenario` and waits for its ready message (30 s at most). */
  static async start(scenario: ScenarioInput): Promise<SimulatorChild> {
    const child = fork(new URL('./simulator-process.ts', import.meta.url).pathname, [], {
      env: { ...process.env, BENCH_SIM_SCENARIO: JSON.stringify(scenario) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=2048'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('simulator did not start within 30 s')), 30_000);
      child.once('exit', (code) => reject(new Error(`simulator exited with ${code}`)));
      child.on('message', (message) => {
        const m = message as { type?: string; url?: string };
        if (m.type === 'ready' && m.url) {
          clearTimeout(timer);
          resolve(m.url);
        }
      });
    });
    return new SimulatorChild(child, url);
  }

  /** Sends one request and waits for its answer. */
  request<T>(body: SimRequestBody, timeoutMs = 30_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`simulator did not answer ${body.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ ...body, id } as SimRequest);
    });
  }

  /** Asks the simulator to stop and waits for it to exit (killed if it does not). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request({ type: 'stop' }, 10_000).catch(() => undefined);
    await waitForExit(this.child, 5_000);
  }
}
