import { createJobQueues } from '../adapters/sqs/job-queues.ts';
import { loadReleaseConfig } from '../config.ts';
import type { ReleaseRuntime } from '../release/release-record.ts';
import type { LoggerOnly, WiringContext } from './context.ts';

/** The release function's runtime: the send and deferred queues and a clock. */
export function createReleaseRuntime({ env, clients, now }: WiringContext<LoggerOnly>): ReleaseRuntime {
  return { queues: createJobQueues(clients.sqs, loadReleaseConfig(env)), now: now ?? Date.now };
}
