import { ProvisionedThroughputExceededException, ThrottlingException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { isTakenByMeta } from '../helpers/factories.ts';
import { FaultLedger } from '../helpers/fault-accounting.ts';
import {
  acceptedByKey,
  closeTheBooks,
  faultJob,
  harnessView,
  jobsByKey,
  quickRedelivery,
  recipients,
  redriveSendDlq,
  seededRandom,
  settle,
} from '../helpers/fault-stage.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * Fault family 3: DynamoDB throttling, which DynamoDB Local cannot produce. `injectFault` fails
 * 15 % of the functions' UpdateItem and BatchGetItem calls (claims, outcomes, user effects,
 * counters, webhook updates, the batch's user look-up) with ProvisionedThroughputExceededException
 * or ThrottlingException.
 *
 * The injector sits at the SDK's `initialize` step, before the retry middleware, so the SDK does
 * not retry these errors: the functions see every one of them. (Real throttling is retried by the
 * SDK, 3 attempts by default, so production sees far fewer; this is the worst case.)
 *
 * Expected: records are handed back and retried; nothing is lost and nothing sent twice. A throttle
 * on the write *after* a successful send leaves the claim `sending`, and the redelivered message
 * then marks the job `unknown` (Meta did accept it): allowed, and counted in the totals. Messages
 * that use up maxReceiveCount go to the DLQ; at the end the throttling stops and the test redrives
 * the DLQ as an operator would: those jobs must then settle too.
 */
const random = seededRandom(0x5eed);
const injected = new Map<string, number>();
const calls = new Map<string, number>();
let throttling = true;
/** The job writes, the users lookup, and the counting function's counter transactions (docs/design.md#campaign-counters): all throttled. */
const THROTTLED = /^(UpdateItem|BatchGetItem|TransactWriteItems)Command$/;

const harness = await startSendHarness(
  baseScenario({
    latencyMs: { min: 5, max: 40 },
    webhooks: { appSecret: 'local-app-secret', delayMs: { min: 20, max: 150 }, readRate: 0.5 },
  }),
  {
    // Short cycles (handed-back records return after 7 s). The simulator answers in ms, so a 1 s
    // request timeout fits a 5 s function timeout; a send cut off by it only ends `unknown`.
    ...quickRedelivery({ statusQueue: true, functionTimeoutMs: 5_000, requestTimeoutMs: 1_000 }),
    // The counting function runs all along, as deployed, so its counter transactions meet the throttling too.
    counting: 'at-start',
    injectFault: (service, command) => {
      if (!throttling || service !== 'dynamodb' || !THROTTLED.test(command)) return undefined;
      const n = (calls.get(command) ?? 0) + 1;
      calls.set(command, n);
      // About 15 %: every 7th call (so each command surely sees some), plus 1 in 12 at random.
      if (n % 7 !== 3 && random() >= 1 / 12) return undefined;
      injected.set(command, (injected.get(command) ?? 0) + 1);
      const options = { message: 'Rate of requests exceeds the allowed throughput (injected)', $metadata: { httpStatusCode: 400 } };
      return random() < 0.5 ? new ProvisionedThroughputExceededException(options) : new ThrottlingException(options);
    },
  },
);
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const { clients } = useLocalStack();
const view = harnessView(harness, clients);
const ledger = new FaultLedger('dynamodb-throttling');

describe('DynamoDB throttling on a share of UpdateItem and BatchGetItem calls', () => {
  it('hands records back and retries them; never sends a job twice', { timeout: 180_000 }, async () => {
    const jobs = recipients(40_000, 60).map((r) => faultJob('ddb-throttled', r));
    ledger.addJobs(jobs);
    await harness.enqueue(jobs);
    await settle(view, ledger, { timeoutMs: 150_000 });
    expect(injected.get('UpdateItemCommand') ?? 0).toBeGreaterThan(10);
    expect(injected.get('BatchGetItemCommand') ?? 0).toBeGreaterThan(0);
    expect(injected.get('TransactWriteItemsCommand') ?? 0).toBeGreaterThan(0);

    // Jobs whose message used up maxReceiveCount wait in the DLQ. The operator fixes the cause
    // and redrives them (README, operations guide): each must then be settled, none sent again.
    throttling = false;
    const redriven = await redriveSendDlq(harness.deployment.resources, clients);
    const settled = redriven > 0 ? await settle(view, ledger, { timeoutMs: 40_000 }).catch(() => jobsByKey(view)) : await jobsByKey(view);

    const accepted = acceptedByKey(harness.sim.calls());
    const states = new Map<string, number>();
    const problems: string[] = [];
    for (const key of ledger.valid.keys()) {
      const job = settled.get(key);
      const acceptedCalls = accepted.get(key)?.length ?? 0;
      states.set(job?.state ?? 'none', (states.get(job?.state ?? 'none') ?? 0) + 1);
      const ok = job?.state === 'unknown' ? acceptedCalls <= 1 : isTakenByMeta(job?.state) && acceptedCalls === 1;
      if (!ok) problems.push(`${key}: ${job?.state ?? 'no item'}, ${acceptedCalls} accepted calls`);
    }
    const unknownButAccepted = [...settled.values()].filter((j) => j.state === 'unknown' && accepted.has(j.jobKey)).length;
    console.log(
      `DynamoDB throttling: injected ${JSON.stringify(Object.fromEntries(injected))} of ${JSON.stringify(Object.fromEntries(calls))}; ${redriven} redriven from the DLQ; job states ${JSON.stringify(Object.fromEntries(states))}; ${unknownButAccepted} unknown although Meta accepted them`,
    );
    expect(problems).toEqual([]);
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
