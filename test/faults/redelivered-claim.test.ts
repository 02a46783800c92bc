import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { FaultLedger, keyOf } from '../helpers/fault-accounting.ts';
import { closeTheBooks, faultJob, harnessView, quickRedelivery, recipients, settle } from '../helpers/fault-stage.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * A message that holds a job's claim must settle it, whatever happens on its way back.
 *
 * Regression test for a loss the DynamoDB throttling family found (fixed in 4580683): the
 * write that records Meta's answer failed, so the job stayed `sending` under the claim of
 * message M (token `sqs:M`) and M was handed back; when M came back, the shared pacing counter
 * could not be read (throttled), so the sender re-dispatched M's body as a *new* message M′
 * ("no send slot free in time") and deleted M. M′ (token `sqs:M′`) found the claim taken by
 * another message and was dropped as a duplicate: nothing could settle the job any more, and it
 * stayed `sending` forever although Meta had accepted it. Any path that puts `record.body` back
 * on a queue before the claim check (pacing, a breaker's hold, pair spacing) did the same.
 *
 * Reproduced with two injected DynamoDB errors: the first write of the answer, then the next
 * pacing-counter write. Expected: the job ends `unknown` (or `accepted`), never stuck in `sending`.
 */
const victim = recipients(96_000, 1)[0]!;
let phase: 'record-answer' | 'pacing' | 'done' = 'record-answer';
const harness = await startSendHarness(baseScenario(), {
  ...quickRedelivery(),
  injectFault: (service, command, input) => {
    // The answer's write is a transaction with its counter deltas; the pacing counter a plain update.
    if (service !== 'dynamodb' || (command !== 'UpdateItemCommand' && command !== 'TransactWriteItemsCommand')) return undefined;
    const text = JSON.stringify(input);
    const throttled = () => new ProvisionedThroughputExceededException({ message: 'injected', $metadata: { httpStatusCode: 400 } });
    if (phase === 'record-answer' && text.includes(victim.slice(1)) && text.includes(':wamid')) {
      phase = 'pacing';
      return throttled();
    }
    if (phase === 'pacing' && text.includes('pace#')) {
      phase = 'done';
      return throttled();
    }
    return undefined;
  },
});
const { clients } = useLocalStack();
const view = harnessView(harness, clients);
const ledger = new FaultLedger('redelivered-claim');

describe('a redelivered message that holds the claim', () => {
  it('settles the job even when it cannot be sent on its second receive', { timeout: 90_000 }, async () => {
    const job = faultJob('redelivered-claim', victim);
    ledger.addJobs([job]);
    await harness.enqueue([job]);
    // The second fault only bites if the redelivery re-dispatches before it settles its claim.
    await settle(view, ledger, { timeoutMs: 45_000 }).catch(() => undefined);
    expect(phase, 'the write of the answer failed').not.toBe('record-answer');
    expect(harness.sim.acceptedFor(victim)).toHaveLength(1);
    const stored = await harness.job('redelivered-claim', victim);
    expect(stored?.state, `job ${keyOf('redelivered-claim', victim)}`).not.toBe('sending');
    expect(['unknown', 'accepted']).toContain(stored?.state);
  });

  it('totals: nothing lost, nothing sent twice', async () => {
    await closeTheBooks(view, ledger);
  });
});
