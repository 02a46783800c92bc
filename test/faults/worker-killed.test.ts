import { queueOf } from 'lambda-local-kit';
import { startSimulator } from 'mm-api-simulator';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { enqueuePrepared, prepareJobs } from '../../lib/producer.ts';
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
} from '../helpers/fault-stage.ts';
import { startWorker } from '../helpers/fault-worker.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * Fault family 4: the process running the functions is SIGKILLed in the middle of its batches,
 * as a Lambda runtime dies: no `finally`, no delete of the batch, sends in flight abandoned.
 * A second worker then takes over the same queues and tables.
 *
 * The stage's queues are created here first with a short visibility timeout (so the killed
 * batches come back within seconds); the workers get the same overrides through
 * WORKER_RESOURCE_OVERRIDES, because createResources converges an existing queue on the
 * template's attributes (visibility 180 s) otherwise.
 */
const settings = quickRedelivery();
const overrides = settings.resourceOverrides;
const workerSettings = { functionTimeoutMs: settings.functionTimeoutMs, env: settings.env, resourceOverrides: overrides };
const JOBS = 150;
const KILL_AT_CALL = 40;

const endpoints = inject('localStackEndpoints');
const { clients } = useLocalStack();
const sim = await startSimulator(baseScenario({ latencyMs: { min: 200, max: 500 } }));
afterAll(() => sim.stop());
const stage = await createTestResources(overrides);
const view = stageView(stage.resources, clients, () => sim.calls());
const ledger = new FaultLedger('worker-killed');

describe('a worker process killed in the middle of a batch', () => {
  it('loses nothing: the next worker finishes the work, interrupted sends end unknown, none is sent twice', {
    timeout: 150_000,
  }, async () => {
    const first = startWorker({ endpoints, stage: stage.stage, metaBaseUrl: sim.url, ...workerSettings });
    await first.ready;

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
    // Requests the dead process had already written to DynamoDB's socket may still be applied.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const atKill = await jobsByKey(view);
    const sendingAtKill = [...atKill.values()].filter((j) => j.state === 'sending').map((j) => j.jobKey);
    expect(inFlightAtKill.length, 'sends in flight when the worker died').toBeGreaterThan(0);
    expect(atKill.size, 'the kill came in the middle of the run').toBeLessThan(JOBS);

    const second = startWorker({ endpoints, stage: stage.stage, metaBaseUrl: sim.url, ...workerSettings });
    await second.ready;
    const settled = await settle(view, ledger, { timeoutMs: 100_000 });
    second.kill('SIGTERM');
    expect(await second.exited).toMatchObject({ code: 0 });

    const accepted = acceptedByKey(sim.calls());
    for (const key of ledger.valid.keys()) {
      const job = settled.get(key);
      expect(['accepted', 'unknown'], key).toContain(job?.state);
      expect(accepted.get(key)?.length ?? 0, key).toBeLessThanOrEqual(1);
      if (job?.state === 'accepted') expect(accepted.get(key), key).toHaveLength(1);
    }
    // A job whose request was on the wire when the process died may have reached Meta: unknown, never re-sent.
    for (const key of sendingAtKill) expect(settled.get(key)?.state, key).toBe('unknown');
    const unknown = [...settled.values()].filter((j) => j.state === 'unknown');
    console.log(
      `worker killed at call ${KILL_AT_CALL}: ${sendingAtKill.length} jobs were sending, ${inFlightAtKill.length} answers in flight; ${unknown.length} ended unknown (${unknown.filter((j) => accepted.has(j.jobKey)).length} of them accepted by Meta)`,
    );
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
