import { describe, expect, it } from 'vitest';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';
import { postWebhook, statusesPayload } from '../helpers/webhook-factories.ts';

/** A status whose wamid never becomes known: retried a bounded number of times, then dead-lettered. */
const harness = await startSendHarness(baseScenario(), {
  resourceOverrides: { StatusQueue: { VisibilityTimeout: 31, RedrivePolicy: { maxReceiveCount: 2 } } },
});

describe('a status for a wamid no job has', () => {
  it('is handed back with a delay, then lands in the status DLQ intact', async () => {
    const payload = statusesPayload([{ wamid: 'wamid.never-sent', status: 'delivered', recipient: '+4915112345678' }]);
    expect((await postWebhook(harness.deployment.webhookUrl!, payload)).status).toBe(200);
    await expect.poll(async () => (await harness.queueCounts('StatusDeadLetterQueue')).visible, { timeout: 20_000, interval: 250 }).toBe(1);
    const [dead] = await harness.drain('StatusDeadLetterQueue');
    expect(JSON.parse(dead!.Body!).event.status.id).toBe('wamid.never-sent');
    expect(harness.deployment.sources.status!.stats().failures).toBe(2);
  });
});
