import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { queueOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { FaultLedger } from '../helpers/fault-accounting.ts';
import { closeTheBooks, faultJob, harnessView, recipients, settle, waitFor } from '../helpers/fault-stage.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { BAD_INPUT_CAMPAIGN, BAD_INPUTS, UNSTORABLE_RECIPIENT } from './bad-inputs.ts';

/**
 * Fault family 7: bad input. Every body of the corpus (test/faults/bad-inputs.ts) is put on the
 * send queue raw, mixed with a few valid jobs. Each must land in the send DLQ, body intact, with
 * the expected `rejectionReason` and a `rejectionDetail`, at once (not after maxReceiveCount
 * failed receives); none may reach the MM API or create a job item.
 */
const harness = await startSendHarness(baseScenario(), {
  // Only the oversized body below is ever handed back: let the redrive policy take it quickly.
  resourceOverrides: { SendQueue: { VisibilityTimeout: 3, RedrivePolicy: { maxReceiveCount: 2 } } },
  functionTimeoutMs: 3_000,
  env: { META_REQUEST_TIMEOUT_MS: '1000' },
  // DynamoDB's refusal of an item over 400 KB, for the one corpus job whose claim must meet it.
  injectFault(service, command, input) {
    const claimsUnstorable =
      service === 'dynamodb' &&
      command === 'UpdateItemCommand' &&
      JSON.stringify(input.Key ?? {}).includes(UNSTORABLE_RECIPIENT) &&
      JSON.stringify(input).includes('"autumn_sale"');
    if (!claimsUnstorable) return undefined;
    claimsRefused++;
    return Object.assign(new Error('Item size has exceeded the maximum allowed size'), { name: 'ValidationException', $fault: 'client' });
  },
});
let claimsRefused = 0;
const { clients } = useLocalStack();
const view = harnessView(harness, clients);
const ledger = new FaultLedger('bad-inputs');

/** Up to 10 bodies per SendMessageBatch, and at most 1 MiB in all (so the large ones go alone). */
function sqsBatches(bodies: string[]): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let bytes = 0;
  for (const body of bodies) {
    const size = Buffer.byteLength(body);
    if (batch.length === 10 || (batch.length > 0 && bytes + size > 1_000_000)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(body);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

describe('a corpus of bad inputs', () => {
  it('has at least 50 entries, each with a note', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(BAD_INPUTS.map((b) => b.name)).size).toBe(BAD_INPUTS.length);
    for (const input of BAD_INPUTS) expect(input.note.length, input.name).toBeGreaterThan(5);
  });

  it('dead-letters every bad input with its reason and sends none of them', { timeout: 120_000 }, async () => {
    const controls = recipients(90_500, 5).map((r) => faultJob('bad-inputs-control', r));
    ledger.addJobs(controls);
    ledger.addBadInputs(BAD_INPUTS);
    const bodies = [...BAD_INPUTS.map((b) => b.body), ...controls.map((job) => JSON.stringify(job))];
    const queueUrl = queueOf(harness.deployment.resources, 'SendQueue').url;
    for (const batch of sqsBatches(bodies)) {
      const result = await clients.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: batch.map((body, n) => ({ Id: String(n), MessageBody: body })) }),
      );
      expect(result.Failed ?? []).toEqual([]);
    }

    const dead = await waitFor(
      () => view.sendDlq(),
      (messages) => messages.length >= BAD_INPUTS.length,
      {
        timeoutMs: 60_000,
        what: 'every bad input in the DLQ',
        describe: (messages) => `${messages.length} of ${BAD_INPUTS.length}`,
      },
    );
    await settle(view, ledger);

    const byBody = new Map(dead.map((m) => [m.Body, m]));
    const problems: string[] = [];
    for (const input of BAD_INPUTS) {
      const message = byBody.get(input.body);
      const attributes = message?.MessageAttributes ?? {};
      const got = {
        reason: attributes.rejectionReason?.StringValue,
        hasDetail: Boolean(attributes.rejectionDetail?.StringValue),
        hasSource: Boolean(attributes.sourceMessageId?.StringValue),
      };
      if (!message) problems.push(`${input.name}: not in the DLQ`);
      else if (got.reason !== input.reason || !got.hasDetail || !got.hasSource)
        problems.push(`${input.name}: ${JSON.stringify(got)}, want ${input.reason}`);
      else if (attributes.campaignId && attributes.campaignId.StringValue !== BAD_INPUT_CAMPAIGN)
        problems.push(`${input.name}: campaignId ${attributes.campaignId.StringValue}`);
    }
    expect(problems).toEqual([]);
    expect(dead).toHaveLength(BAD_INPUTS.length);
    const copies = new Map<string, number>();
    for (const m of dead) copies.set(m.Body ?? '', (copies.get(m.Body ?? '') ?? 0) + 1);
    expect(BAD_INPUTS.filter((input) => copies.get(input.body) !== 1).map((input) => input.name)).toEqual([]);
    // The unstorable job met the store's refusal (a slow invocation cut off may meet it twice) and carries it as its reason.
    expect(claimsRefused).toBeGreaterThanOrEqual(1);

    // The detail is logged too: it must never quote a phone number from the body.
    const leaks = dead.filter((m) => {
      const detail = m.MessageAttributes?.rejectionDetail?.StringValue ?? '';
      const numbers = (m.Body ?? '').match(/\d{8,}/g)?.filter((digits) => digits !== '100000000000001') ?? [];
      return numbers.some((digits) => detail.includes(digits));
    });
    expect(leaks.map((m) => `${m.Body?.slice(0, 40)} → ${m.MessageAttributes?.rejectionDetail?.StringValue}`)).toEqual([]);

    // Rejected at first sight: one receive each, no redrive.
    for (const message of dead) expect(message.MessageAttributes?.rejectedAt?.StringValue, message.Body?.slice(0, 60)).toBeTruthy();
    // Only the control jobs reached "Meta" or the jobs table.
    const controlRecipients = new Set(controls.map((job) => job.recipient));
    expect(harness.sim.calls().filter((c) => !controlRecipients.has(c.recipient!))).toEqual([]);
    expect((await view.allJobs()).map((j) => j.campaignId).filter((c) => c !== 'bad-inputs-control')).toEqual([]);
    expect((await harness.figures(BAD_INPUT_CAMPAIGN)).rejected).toBe(dead.filter((m) => m.MessageAttributes?.campaignId).length);
  });

  it('moves a body too large to carry its reason to the DLQ by the redrive policy, intact and unsent', { timeout: 60_000 }, async () => {
    // Body + rejection attributes would exceed SQS's 1 MiB: the sender logs the reason and leaves
    // the message to the queue's redrive policy (accepted limitation: no rejectionReason on it).
    const body = `not json ${'x'.repeat(1_048_576 - 120)}`;
    await harness.sendRaw(body);
    const dead = await waitFor(
      () => view.sendDlq(),
      (messages) => messages.some((m) => m.Body === body),
      { timeoutMs: 45_000, what: 'the oversized body in the DLQ' },
    );
    expect(dead.filter((m) => m.Body === body)).toHaveLength(1);
    expect(harness.sim.calls().filter((c) => c.body === undefined || JSON.stringify(c.body).includes('not json'))).toEqual([]);
  });

  it('totals: nothing lost, nothing sent twice, every bad input dead-lettered with a reason', async () => {
    const totals = await closeTheBooks(view, ledger);
    expect(totals.rejected).toBe(BAD_INPUTS.length);
  });
});
