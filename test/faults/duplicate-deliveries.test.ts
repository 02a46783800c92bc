import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createLambdaContext, queueOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { dispatchBodyFromItem } from '../../lib/jobs/dispatch-body.ts';
import { sqsRecord } from '../helpers/factories.ts';
import { FaultLedger, keyOf } from '../helpers/fault-accounting.ts';
import { acceptedByKey, closeTheBooks, faultJob, harnessView, jobsByKey, recipients, settle, waitFor } from '../helpers/fault-stage.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * Fault family 5: duplicate deliveries.
 *
 * - The same body enqueued three times (a producer retrying a batch it thought failed).
 * - The same job with the recipient spelled two ways (`+49 151 …` and WhatsApp's `49151…`).
 * - A duplicate that arrives while the job waits for a retry after a transient error.
 * - The same SQS message (same message id) handed to the function twice: one after the other
 *   (a delete that did not happen), and by two invocations at the same time.
 * - Two copies of a re-dispatch (same dispatchId) handled at the same time.
 * - Not a duplicate: the same recipient in two campaigns gets both messages.
 */
const retried = recipients(60_300, 8);
const [concurrent, copied] = recipients(60_500, 2) as [string, string];
const harness = await startSendHarness(
  baseScenario({
    latencyMs: { min: 5, max: 60 },
    rules: [
      { name: 'transient-once', recipients: retried, times: 1, error: 131000 },
      { name: 'copied-transient-once', recipients: [copied], times: 1, error: 131016 },
      // Slow answers, so that two copies of a message really are in flight together.
      { name: 'slow', recipients: [concurrent, copied], latencyMs: 400 },
    ],
  }),
  { env: { META_RETRY_WAITS: JSON.stringify({ 131000: 3, 131016: 30 }) } },
);
const invoke = (...records: SQSRecord[]) =>
  harness.deployment.sendHandler({ Records: records } as SQSEvent, createLambdaContext({ functionName: 'send', timeoutMs: 30_000 }));
const { clients } = useLocalStack();
const view = harnessView(harness, clients);
const ledger = new FaultLedger('duplicate-deliveries');
const sendQueue = queueOf(harness.deployment.resources, 'SendQueue').url;

const shuffled = <T>(items: T[]): T[] =>
  items
    .map((item, i) => [((i * 7_919) % 101) / 101, item] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, item]) => item);

describe('duplicate deliveries', () => {
  it('sends each job once however often its message arrives', { timeout: 120_000 }, async () => {
    const tripled = recipients(60_000, 30).map((r) => faultJob('dup-body', r, { createdAt: new Date().toISOString() }));
    const spelled = recipients(60_100, 10).map((r) => faultJob('dup-spelling', r, { createdAt: new Date().toISOString() }));
    const twoCampaigns = recipients(60_200, 5).flatMap((r) => [faultJob('dup-campaign-a', r), faultJob('dup-campaign-b', r)]);
    const waiting = retried.map((r) => faultJob('dup-while-waiting', r, { createdAt: new Date().toISOString() }));
    ledger.addJobs(tripled, 3);
    ledger.addJobs(spelled, 2);
    ledger.addJobs(twoCampaigns);
    ledger.addJobs(waiting, 2);

    // Three copies of each body, in batches of 10 as a producer sends them.
    const bodies = shuffled([...tripled, ...tripled, ...tripled].map((job) => JSON.stringify(job)));
    const spellings = spelled.flatMap((job) => {
      const digits = job.recipient.slice(1);
      return [
        JSON.stringify({ ...job, recipient: `+${digits.slice(0, 2)} ${digits.slice(2, 5)} ${digits.slice(5)}` }),
        JSON.stringify({ ...job, recipient: digits }),
      ];
    });
    const all = [...bodies, ...spellings, ...twoCampaigns.map((job) => JSON.stringify(job)), ...waiting.map((job) => JSON.stringify(job))];
    for (let i = 0; i < all.length; i += 10) {
      const entries = all.slice(i, i + 10).map((body, n) => ({ Id: String(n), MessageBody: body }));
      const result = await clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: sendQueue, Entries: entries }));
      expect(result.Failed ?? []).toEqual([]);
    }
    // The transient-error jobs: a second copy once they wait for their retry.
    await waitFor(
      () => jobsByKey(view),
      (jobs) => waiting.every((job) => jobs.get(keyOf('dup-while-waiting', job.recipient))?.state === 'retry_wait'),
      { timeoutMs: 30_000, what: 'jobs waiting for a retry' },
    );
    for (const job of waiting) await harness.sendRaw(JSON.stringify(job));

    const settled = await settle(view, ledger);
    const accepted = acceptedByKey(harness.sim.calls());
    for (const key of ledger.valid.keys()) {
      expect(settled.get(key)?.state, key).toBe('accepted');
      expect(accepted.get(key), key).toHaveLength(1);
    }
    for (const job of waiting) expect(settled.get(keyOf('dup-while-waiting', job.recipient))).toMatchObject({ apiCalls: 2, retries: 1 });
    // Counters count recipients, not messages.
    expect((await harness.figures('dup-body')).byState).toEqual({ accepted: 30 });
    expect((await harness.figures('dup-body')).uniqueAccepted).toBe(30);
  });

  it('ignores a message handed to the function again after it was handled', async () => {
    const job = faultJob('dup-redelivered', recipients(60_400, 1)[0]!, { createdAt: new Date().toISOString() });
    ledger.addJobs([job], 2);
    const record = sqsRecord(JSON.stringify(job));
    expect(await invoke(record)).toEqual({ batchItemFailures: [] });
    expect(await invoke({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } })).toEqual({
      batchItemFailures: [],
    });
    const stored = await harness.job('dup-redelivered', job.recipient);
    expect(stored).toMatchObject({ state: 'accepted', apiCalls: 1 });
    expect(harness.sim.acceptedFor(job.recipient)).toHaveLength(1);
  });

  it('sends once when the same SQS message is handled by two invocations at the same time', async () => {
    // SQS can hand one message to two consumers at once (same message id, hence the same claim token).
    const job = faultJob('dup-concurrent', concurrent, { createdAt: new Date().toISOString() });
    ledger.addJobs([job], 2);
    const record = sqsRecord(JSON.stringify(job));
    await Promise.all([invoke(record), invoke(record)]);
    const accepted = harness.sim.acceptedFor(concurrent);
    expect(accepted).toHaveLength(1);
    // The copy that lost the claim must not declare the winner's send interrupted.
    expect(await harness.job('dup-concurrent', concurrent)).toMatchObject({ state: 'accepted', wamid: accepted[0]!.wamid, apiCalls: 1 });
    // When it comes back later, it changes nothing.
    expect(await invoke({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } })).toEqual({
      batchItemFailures: [],
    });
    expect(await harness.job('dup-concurrent', concurrent)).toMatchObject({ state: 'accepted', apiCalls: 1 });
  });

  it('sends a retry once when two copies of its re-dispatch are handled at the same time', async () => {
    // A re-dispatch is copied on purpose when a redelivered message finds its wait recorded but
    // cannot know whether the re-dispatch was enqueued ("recovered re-dispatch"): both copies
    // carry the same dispatchId, so the same claim token.
    const job = faultJob('dup-redispatch', copied, { createdAt: new Date().toISOString() });
    ledger.addJobs([job], 3);
    await harness.enqueue([job]);
    const waiting = await waitFor(
      () => harness.job('dup-redispatch', copied),
      (j) => j?.state === 'retry_wait',
      { timeoutMs: 30_000, what: 'job waiting for its retry' },
    );
    const body = dispatchBodyFromItem(waiting!, waiting!.attempt, waiting!.nextDispatchId!);
    await invoke(sqsRecord(body), sqsRecord(body));
    const accepted = harness.sim.acceptedFor(copied);
    expect(accepted).toHaveLength(1);
    expect(await harness.job('dup-redispatch', copied)).toMatchObject({ state: 'accepted', wamid: accepted[0]!.wamid, apiCalls: 2 });
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
