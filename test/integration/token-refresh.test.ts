import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, PHONE_NUMBER_ID, startSendHarness } from '../helpers/send-harness.ts';

/**
 * An expired token (190): Meta refuses it, the number stops, and an operator puts a new token
 * in SSM. The token is cached for 10 minutes here, so only dropping it on the 190 lets the probe
 * that comes due read the new one at once. The functions' clock is moved to make the probe due.
 */
let clockOffset = 0;
const r = (n: number) => recipientNumber(9_100 + n);
const harness = await startSendHarness(baseScenario({ tokens: ['renewed-token'] }), {
  accessToken: 'expired-token',
  now: () => Date.now() + clockOffset,
  env: { TOKEN_CACHE_SECONDS: '600', HOLD_SECONDS: '2' },
});
const { clients } = useLocalStack();
const controlTable = tableOf(harness.deployment.resources, 'ControlTable').name;
const phoneControl = async () =>
  (
    await clients.documents.send(
      new GetCommand({ TableName: controlTable, Key: { key: `phone#${PHONE_NUMBER_ID}` }, ConsistentRead: true }),
    )
  ).Item;

describe('an access token Meta refuses (190)', () => {
  it('is read again after the refusal: the probe after the operator renews it succeeds at once', async () => {
    await harness.enqueue(Array.from({ length: 3 }, (_, i) => aJob({ campaignId: 'token-renewed', recipient: r(i) })));
    await expect.poll(async () => (await phoneControl())?.state, { timeout: 15_000 }).toBe('open');
    expect(await phoneControl()).toMatchObject({ reasonCode: 190 });
    const refused = harness.sim.calls().length;
    expect(harness.sim.calls().every((call) => call.outcome !== 'accepted')).toBe(true);

    await clients.ssm.send(
      new PutParameterCommand({
        Name: harness.deployment.sendRuntime.config.meta.accessTokenParameter,
        Value: 'renewed-token',
        Type: 'SecureString',
        Overwrite: true,
      }),
    );
    clockOffset = 61_000;
    await expect.poll(async () => (await phoneControl())?.state, { timeout: 20_000 }).toBe('closed');
    const [probe] = harness.sim.calls().slice(refused);
    expect(probe, 'the first call after the renewal').toMatchObject({ outcome: 'accepted' });
    await harness.waitForJobs(
      (jobs) => jobs.filter((j) => j.campaignId === 'token-renewed' && j.state === 'accepted').length === 3,
      30_000,
    );
  });
});
