import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { FaultLedger } from '../helpers/fault-accounting.ts';
import {
  closeTheBooks,
  faultJob,
  harnessView,
  quickRedelivery,
  recipients,
  redriveSendDlq,
  settle,
  waitFor,
} from '../helpers/fault-stage.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * The operator's side of a failure: DynamoDB keeps refusing the writes for a job after Meta
 * accepted it, so its message uses up maxReceiveCount and lands in the send DLQ without a
 * rejection reason, its job item still `sending`. The README says: fix the cause, then
 * "Start DLQ redrive"; the claims prevent double sends.
 *
 * On AWS a redriven message is a new message with a new message id. The job's claim is held by
 * the token of the old one (`sqs:<old id>`), so the redriven copy must still be able to settle
 * the job (it was sent: `unknown`, or `accepted` if the answer was kept), and must not send it
 * again. A copy that only ignores the claim as "another message's" leaves the job `sending`
 * for ever: nothing else ever looks at it (the dropped sweep only covers accepted jobs).
 */
const victim = recipients(97_000, 1)[0]!;
let databaseDown = true;
let refused = 0;
const harness = await startSendHarness(baseScenario(), {
  ...quickRedelivery({ sendQueue: { RedrivePolicy: { maxReceiveCount: 2 } } }),
  injectFault: (service, command, input) => {
    // Every write that would settle the victim's claim (recordDecision, markUnknown) fails until the cause is "fixed".
    if (!databaseDown || service !== 'dynamodb' || command !== 'UpdateItemCommand') return undefined;
    const text = JSON.stringify(input);
    if (!text.includes(victim.slice(1)) || !text.includes(':sending')) return undefined;
    refused++;
    return new ProvisionedThroughputExceededException({ message: 'injected', $metadata: { httpStatusCode: 400 } });
  },
});
const { clients } = useLocalStack();
const view = harnessView(harness, clients);
const ledger = new FaultLedger('dlq-redrive');

describe('a job dead-lettered while its claim is held, then redriven by the operator', () => {
  it('is settled by the redriven message and not sent again', { timeout: 120_000 }, async () => {
    const job = faultJob('redrive', victim);
    ledger.addJobs([job], 2);
    await harness.enqueue([job]);
    await waitFor(
      () => view.queueCounts('SendDeadLetterQueue'),
      (c) => c.visible >= 1,
      { timeoutMs: 60_000, what: 'the job in the DLQ' },
    );
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(await harness.job('redrive', victim)).toMatchObject({ state: 'sending' });
    expect(harness.sim.acceptedFor(victim)).toHaveLength(1);

    // The cause is fixed; the operator redrives the DLQ.
    databaseDown = false;
    expect(await redriveSendDlq(harness.deployment.resources, clients)).toBe(1);
    await settle(view, ledger, { timeoutMs: 30_000 }).catch(() => undefined);
    expect(harness.sim.acceptedFor(victim), 'never sent again').toHaveLength(1);
    expect(['unknown', 'accepted']).toContain((await harness.job('redrive', victim))?.state);
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
