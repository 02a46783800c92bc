import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * A Lambda that dies half-way through a batch: the first invocation handles the first half of
 * its records for real, then throws as a crashed runtime would. The event source then deletes
 * nothing, so the whole batch comes back after the visibility timeout.
 */
let crashes = 0;
const harness = await startSendHarness(baseScenario({ latencyMs: 20 }), {
  // A timeout with room for a busy machine's slow reads before the claims; the crashed batch is back 4 s later.
  resourceOverrides: { SendQueue: { VisibilityTimeout: 4, RedrivePolicy: { maxReceiveCount: 4 } } },
  functionTimeoutMs: 3_000,
  maximumConcurrency: 2,
  env: { META_REQUEST_TIMEOUT_MS: '500' },
  wrapSendHandler: (handler) => async (event: SQSEvent, context) => {
    const campaign = JSON.parse(event.Records[0]!.body).campaignId as string;
    if (campaign === 'crash' && crashes === 0 && event.Records.length >= 4) {
      crashes++;
      await handler({ Records: event.Records.slice(0, Math.floor(event.Records.length / 2)) }, context);
      throw new Error('runtime crashed in the middle of the batch');
    }
    return handler(event, context);
  },
});

describe('crash in the middle of a batch', () => {
  it('loses nothing and sends nothing twice', async () => {
    const recipients = Array.from({ length: 30 }, (_, i) => recipientNumber(1_000 + i));
    await harness.enqueue(recipients.map((recipient) => aJob({ campaignId: 'crash', recipient })));
    const jobs = await harness.waitForJobs((all) => all.filter((j) => j.campaignId === 'crash' && j.state === 'accepted').length === 30);
    expect(crashes).toBe(1);
    for (const recipient of recipients) expect(harness.sim.acceptedFor(recipient), recipient).toHaveLength(1);
    expect(jobs.every((j) => j.apiCalls === 1)).toBe(true);
    await harness.quiet('SendQueue');
    expect((await harness.queueCounts('SendDeadLetterQueue')).visible).toBe(0);
    // Counters count each job once although half a batch was handled twice.
    expect(await harness.figures('crash')).toMatchObject({ byState: { accepted: 30 }, uniqueAccepted: 30 });
  });
});
