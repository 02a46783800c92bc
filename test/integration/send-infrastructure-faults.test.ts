import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

const fastRedrive = { SendQueue: { VisibilityTimeout: 1, RedrivePolicy: { maxReceiveCount: 2 } } };

describe('when the access token cannot be read from SSM', async () => {
  const harness = await startSendHarness(baseScenario(), { resourceOverrides: fastRedrive, functionTimeoutMs: 1_000, accessToken: null });

  it('claims nothing, sends nothing, and the jobs reach the DLQ intact for a redrive', async () => {
    const jobs = [
      aJob({ campaignId: 'no-token', recipient: recipientNumber(3_000) }),
      aJob({ campaignId: 'no-token', recipient: recipientNumber(3_001) }),
    ];
    await harness.enqueue(jobs);
    await expect.poll(async () => (await harness.queueCounts('SendDeadLetterQueue')).visible, { timeout: 20_000 }).toBe(2);
    expect(harness.sim.calls()).toHaveLength(0);
    expect(await harness.allJobs()).toHaveLength(0);
    const dead = await harness.drain('SendDeadLetterQueue');
    expect(dead.map((m) => JSON.parse(m.Body!).recipient).sort()).toEqual([recipientNumber(3_000), recipientNumber(3_001)]);
  });
});

describe('when DynamoDB refuses the claim', async () => {
  const harness = await startSendHarness(baseScenario(), {
    resourceOverrides: fastRedrive,
    functionTimeoutMs: 1_000,
    env: { JOBS_TABLE: 'no-such-table', META_REQUEST_TIMEOUT_MS: '500' },
  });

  it('sends nothing and hands the job back until the redrive policy moves it to the DLQ', async () => {
    await harness.enqueue([aJob({ campaignId: 'no-table', recipient: recipientNumber(3_100) })]);
    await expect.poll(async () => (await harness.queueCounts('SendDeadLetterQueue')).visible, { timeout: 20_000 }).toBe(1);
    expect(harness.sim.calls()).toHaveLength(0);
    expect(harness.deployment.sources.send!.stats().failures).toBeGreaterThanOrEqual(2);
  });
});

/** A loopback port nobody listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('when the MM API is unreachable', async () => {
  const harness = await startSendHarness(baseScenario(), {
    env: { META_GRAPH_BASE_URL: `http://127.0.0.1:${await closedPort()}`, META_REQUEST_TIMEOUT_MS: '1000' },
  });

  it('knows the request never left and schedules a retry instead of marking it unknown', async () => {
    await harness.enqueue([aJob({ campaignId: 'unreachable', recipient: recipientNumber(3_200) })]);
    await harness.waitForJobs((all) => all.some((j) => j.state === 'retry_wait'));
    const job = await harness.job('unreachable', recipientNumber(3_200));
    expect(job).toMatchObject({ state: 'retry_wait', retries: 1, lastErrorReason: expect.stringContaining('ECONNREFUSED') });
  });
});
