import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { tableOf } from 'lambda-local-kit';
import { describe, expect, it, vi } from 'vitest';
import { STALL_AFTER_MS } from '../../lib/domain/campaign-stall.ts';
import { audienceCsv, startCampaignHarness } from '../helpers/campaign-harness.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario } from '../helpers/send-harness.ts';

/**
 * The ticker's watch for a stalled campaign (CampaignStalledAlarm) and its progress metric for the
 * dashboard, through the real ticker, feeder and send functions: all sending is stopped, so the
 * campaign's jobs are held and nothing is accepted. The EMF lines the functions write to stdout
 * (where Lambda's go to CloudWatch) are read there.
 */
// The local deployment keeps metrics quiet unless asked.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
const printed = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
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

interface EmfBlob {
  _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [field: string]: unknown;
}

/** The values of one metric in the EMF lines printed so far, with the dimension names it was emitted under. */
function emitted(metric: string): { value: number; dimensions: string[]; campaignId?: string }[] {
  return printed.mock.calls.flatMap(([text]) => {
    const line = String(text);
    if (!line.includes('"_aws"')) return [];
    const blob = JSON.parse(line) as EmfBlob;
    const set = blob._aws.CloudWatchMetrics.find((d) => d.Metrics.some((m) => m.Name === metric));
    if (!set) return [];
    const campaignId = typeof blob.campaignId === 'string' ? { campaignId: blob.campaignId } : {};
    return [{ value: Number(blob[metric]), dimensions: set.Dimensions.flat().sort(), ...campaignId }];
  });
}

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
    expect(emitted('CampaignsStalled')).toEqual([{ value: 1, dimensions: FUNCTION_DIMENSIONS }]);
    const progress = emitted('CampaignProgressPercent').filter((m) => m.campaignId === 'stalled');
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
    expect(emitted('CampaignProgressPercent').at(-1)).toMatchObject({ campaignId: 'stalled', value: 0 });
  }, 60_000);
});
