import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { STALL_AFTER_MS } from '../../lib/domain/campaign-stall.ts';
import { audienceCsv, startCampaignHarness } from '../helpers/campaign-harness.ts';
import { captureEmf } from '../helpers/emf-lines.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * The ticker's watch for a stalled campaign (CampaignStalledAlarm) and its progress metric for the
 * dashboard, through the real ticker, feeder and send functions: all sending is stopped, so the
 * campaign's jobs are held and nothing is accepted. The EMF lines the functions write to stdout
 * (where Lambda's go to CloudWatch) are read there.
 */
const { emitted } = captureEmf();
const harness = await startCampaignHarness(baseScenario(), { env: { PHONE_NUMBER_RATE_PER_SECOND: '20', HOLD_SECONDS: '2' } });
const { clients } = useLocalStack();
const controlTable = tableOf(harness.deployment.resources, 'ControlTable').name;
const setFleet = (state: string) =>
  clients.documents.send(
    new UpdateCommand({
      TableName: controlTable,
      Key: { key: 'fleet' },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':s': state },
    }),
  );

const FUNCTION_DIMENSIONS = ['function', 'service'];

describe('a campaign that sends nothing', () => {
  it('is reported stalled after ten minutes without an acceptance, and no longer once its jobs go out', async () => {
    await setFleet('stopped');
    await harness.putAudience('stalled.csv', audienceCsv(5, 900));
    await harness.create(harness.aCampaign('stalled', { launch: { at: new Date(harness.now()).toISOString() } }));
    await harness.deployment.tickCampaigns();
    await harness.waitForCampaign('stalled', (record) => record.feed?.fedAt !== undefined);
    await harness.deployment.tickCampaigns();
    const watched = (await harness.record('stalled')).progress;
    expect(watched).toMatchObject({ enqueued: 5, accepted: 0, readyToSend: 5, percentDone: 0 });
    expect(emitted('CampaignsStalled')).toEqual([]);

    harness.advance(STALL_AFTER_MS);
    await harness.deployment.tickCampaigns();
    expect((await harness.record('stalled')).progress?.acceptedChangedAt).toBe(watched?.acceptedChangedAt);
    expect(emitted('CampaignsStalled')).toMatchObject([{ value: 1, dimensions: FUNCTION_DIMENSIONS, values: { function: 'campaigns' } }]);
    const progress = emitted('CampaignProgressPercent').filter((m) => m.values.campaignId === 'stalled');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.every((m) => m.value === 0 && m.dimensions.join() === 'campaignId,function,service')).toBe(true);

    await setFleet('running');
    await harness.waitForJobs((jobs) => jobs.filter((job) => job.campaignId === 'stalled' && job.state !== 'sending').length === 5);
    await harness.deployment.countsCaughtUp();
    await harness.deployment.tickCampaigns();
    const moving = (await harness.record('stalled')).progress;
    expect(moving).toMatchObject({ accepted: 5, readyToSend: 0 });
    expect(moving?.acceptedChangedAt).not.toBe(watched?.acceptedChangedAt);
    expect(emitted('CampaignsStalled')).toHaveLength(1);
    expect(emitted('CampaignProgressPercent').at(-1)).toMatchObject({ values: { campaignId: 'stalled' }, value: 0 });
  }, 60_000);
});
