import { randomUUID } from 'node:crypto';
import { queueOf, tableOf } from 'lambda-local-kit';
import { startSimulator } from 'mm-api-simulator';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { createJobQueues } from '../../lib/adapters/sqs/job-queues.ts';
import { FINAL_STATES, JOB_STATES } from '../../lib/domain/job-state.ts';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import { enqueuePrepared, prepareJobs } from '../../lib/producer.ts';
import { resendUnknown } from '../../lib/resend/resend-unknown.ts';
import { deployLocally } from '../../local/deployment.ts';
import { FaultLedger } from '../helpers/fault-accounting.ts';
import {
  acceptedByKey,
  closeTheBooks,
  faultJob,
  jobsByKey,
  quickRedelivery,
  recipients,
  settle,
  stageView,
  waitFor,
} from '../helpers/fault-stage.ts';
import { startWorker, type WorkerProcess } from '../helpers/fault-worker.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, TEST_BATCHING_WINDOW_SECONDS } from '../helpers/send-harness.ts';
import { startWebhookHop } from '../helpers/webhook-hop.ts';

/**
 * Fault family 4: the process running the functions is SIGKILLed in the middle of its batches,
 * as a Lambda runtime dies: no `finally`, no delete of the batch, sends in flight abandoned.
 * A second worker then takes over the same queues and tables. Then the interrupted sends are
 * reconciled: "Meta" posts the statuses of what it accepted (the callback data names each job's
 * dispatch), and the operator's re-send (`npm run resend-unknown`) sends once more what it never took.
 *
 * The stage's queues are created here first with a short visibility timeout (so the killed
 * batches come back within seconds); the workers get the same overrides through
 * WORKER_RESOURCE_OVERRIDES, because createResources converges an existing queue on the
 * template's attributes (visibility 180 s) otherwise.
 */
const settings = quickRedelivery({ statusQueue: true });
const overrides = settings.resourceOverrides;
const workerSettings = {
  functionTimeoutMs: settings.functionTimeoutMs,
  env: settings.env,
  resourceOverrides: overrides,
  functions: ['send', 'release', 'status', 'webhook', 'feeder'],
};
const JOBS = 150;
const KILL_AT_CALL = 40;

const endpoints = inject('localStackEndpoints');
const { clients } = useLocalStack();
const sim = await startSimulator(
  baseScenario({ latencyMs: { min: 200, max: 500 }, webhooks: { appSecret: 'local-app-secret', delayMs: { min: 50, max: 300 } } }),
);
afterAll(() => sim.stop());
// Meta posts to one URL whichever worker runs behind it (502 while none does, so "Meta" retries).
const webhookHop = await startWebhookHop();
afterAll(() => webhookHop.stop());
const follow = (webhookUrl: string | undefined) => {
  const url = new URL(webhookUrl!);
  webhookHop.forwardTo(url.origin);
  sim.setWebhookTarget(new URL(url.pathname, webhookHop.url).href);
};
const stage = await createTestResources(overrides);
// The counting function runs here, not in the workers: the local stream source keeps its
// checkpoints in memory, so a killed worker's successor would count the stream from its start again
// (on AWS the event source mapping keeps them). Its own crash and retry are tested in counts-exactly-once.test.ts.
const counting = await deployLocally({
  endpoints,
  metaBaseUrl: sim.url,
  stage: stage.stage,
  resourceOverrides: overrides,
  functions: ['countJobChanges'],
  maximumBatchingWindowSeconds: TEST_BATCHING_WINDOW_SECONDS,
});
afterAll(() => counting.stop());
const view = stageView(stage.resources, clients, { calls: () => sim.calls(), countsCaughtUp: () => counting.countsCaughtUp() });
const ledger = new FaultLedger('worker-killed');
/** What a job may be once both workers are done: interrupted sends `unknown`, the rest accepted and moved on by statuses. */
const SETTLED_STATES = [JOB_STATES.accepted, JOB_STATES.sent, JOB_STATES.delivered, JOB_STATES.read, JOB_STATES.unknown];
let second: WorkerProcess | undefined;

describe('a worker process killed in the middle of a batch', () => {
  it('loses nothing: the next worker finishes the work, interrupted sends end unknown, none is sent twice', {
    timeout: 150_000,
  }, async () => {
    const first = startWorker({ endpoints, stage: stage.stage, metaBaseUrl: sim.url, ...workerSettings });
    follow((await first.ready).webhookUrl);

    // Kill it the moment "Meta" has seen KILL_AT_CALL sends: the answers of the latest are still under way.
    let inFlightAtKill: string[] = [];
    const killed = new Promise<void>((resolve) => {
      const unsubscribe = sim.onCall(() => {
        if (sim.stats().total < KILL_AT_CALL) return;
        unsubscribe();
        first.kill('SIGKILL');
        const now = Date.now();
        inFlightAtKill = sim
          .calls()
          .filter((c) => c.outcome === 'accepted' && c.at + c.latencyMs > now)
          .map((c) => c.recipient!);
        resolve();
      });
    });
    const jobs = recipients(50_000, JOBS).map((r) => faultJob('killed', r));
    ledger.addJobs(jobs);
    const prepared = prepareJobs(jobs, { blockedCountries: [], blockedPrefixes: [] });
    expect((await enqueuePrepared(clients.sqs, queueOf(stage.resources, 'SendQueue').url, prepared.valid)).failed).toEqual([]);
    await killed;
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    webhookHop.forwardTo(undefined);
    // Requests the dead process had already written to DynamoDB's socket may still be applied.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const atKill = await jobsByKey(view);
    const sendingAtKill = [...atKill.values()].filter((j) => j.state === 'sending').map((j) => j.jobKey);
    expect(inFlightAtKill.length, 'sends in flight when the worker died').toBeGreaterThan(0);
    const finalAtKill = [...atKill.values()].filter((j) => FINAL_STATES.includes(j.state));
    expect(finalAtKill.length, 'the kill came in the middle of the run').toBeLessThan(JOBS);

    second = startWorker({ endpoints, stage: stage.stage, metaBaseUrl: sim.url, ...workerSettings });
    follow((await second.ready).webhookUrl);
    const settled = await settle(view, ledger, { timeoutMs: 100_000 });

    const accepted = acceptedByKey(sim.calls());
    for (const key of ledger.valid.keys()) {
      const job = settled.get(key);
      expect(SETTLED_STATES, key).toContain(job?.state);
      expect(accepted.get(key)?.length ?? 0, key).toBeLessThanOrEqual(1);
      if (job?.state !== JOB_STATES.unknown) expect(accepted.get(key), key).toHaveLength(1);
    }
    // A job whose request was on the wire when the process died may have reached Meta: unknown,
    // not re-sent, unless a status has already shown Meta took it.
    for (const key of sendingAtKill) {
      const job = settled.get(key);
      expect(job?.state === JOB_STATES.unknown || job?.reconciledBy === 'callback_data', key).toBe(true);
    }
    const unknown = [...settled.values()].filter((j) => j.state === 'unknown');
    console.log(
      `worker killed at call ${KILL_AT_CALL}: ${sendingAtKill.length} jobs were sending, ${inFlightAtKill.length} answers in flight; ${unknown.length} ended unknown (${unknown.filter((j) => accepted.has(j.jobKey)).length} of them accepted by Meta)`,
    );
  });

  it('reconciles: a status settles each unknown job Meta took, the rest is re-sent once', { timeout: 150_000 }, async () => {
    const tookButUnknown = (jobs: Map<string, JobRecord>) => {
      const accepted = acceptedByKey(sim.calls());
      return [...jobs.values()].filter((job) => job.state === JOB_STATES.unknown && accepted.has(job.jobKey));
    };
    // Statuses that came while their job was still `sending` come back after the status queue's back-off (5, 10, 20 s…).
    await waitFor(
      () => jobsByKey(view),
      (jobs) => tookButUnknown(jobs).length === 0,
      {
        timeoutMs: 90_000,
        what: 'every job Meta took settled by its status',
        describe: (jobs) =>
          tookButUnknown(jobs)
            .map((job) => job.jobKey)
            .join(', '),
      },
    );
    const stillUnknown = [...(await jobsByKey(view)).values()].filter((job) => job.state === JOB_STATES.unknown);
    const { resources } = stage;
    const report = await resendUnknown('killed', {
      jobs: createJobStore(clients.documents, {
        tableName: tableOf(resources, 'JobsTable').name,
        retentionDays: 30,
      }),
      queues: createJobQueues(clients.sqs, {
        sendQueueUrl: queueOf(resources, 'SendQueue').url,
        deferredQueueUrl: queueOf(resources, 'DeferredQueue').url,
      }),
      now: Date.now,
      newId: randomUUID,
      windowMs: 5_000,
      dryRun: false,
    });
    expect(report.resent.sort()).toEqual(stillUnknown.map((job) => job.jobKey).sort());
    const settled = await settle(view, ledger, { timeoutMs: 100_000 });
    second?.kill('SIGTERM');
    expect(await second?.exited).toMatchObject({ code: 0 });
    expect([...settled.values()].filter((job) => job.state === JOB_STATES.unknown).map((job) => job.jobKey)).toEqual([]);
    console.log(
      `reconciled: ${[...settled.values()].filter((job) => job.reconciledBy).length} by their statuses, ${report.resent.length} re-sent once`,
    );
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
