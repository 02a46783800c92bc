import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '../../lib/adapters/dynamodb/campaign-store.ts';
import { campaignSchema } from '../../lib/domain/campaign-contract.ts';
import type { CampaignStatus } from '../../lib/domain/campaign-lifecycle.ts';
import { TEMPLATE_PAUSE_REASON_PREFIX } from '../../lib/domain/template-campaign-rule.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * Template webhooks through the real webhook and status functions: the simulator changes its
 * template and posts Meta's signed webhook; the status function pauses, resumes or fails the
 * campaigns in the campaigns table that send that template.
 */
const harness = await startSendHarness(baseScenario({ webhooks: { appSecret: 'local-app-secret' } }));
harness.sim.setWebhookTarget(harness.deployment.webhookUrl);
const { clients } = useLocalStack();
const store = new DynamoCampaignStore(clients.documents, { tableName: tableOf(harness.deployment.resources, 'CampaignsTable').name });
const NOW = Date.now();

const templateId = (language: string) => harness.sim.templates().find((t) => t.name === 'autumn_sale' && t.language === language)!.id;

/** A campaign sending autumn_sale in `language`, moved along the lifecycle to `path`'s last status. */
async function campaign(campaignId: string, language: string, path: CampaignStatus[], reason?: string): Promise<void> {
  const definition = campaignSchema.parse({
    schemaVersion: 1,
    campaignId,
    phoneNumberId: '100000000000001',
    template: { name: 'autumn_sale', language, body: [{ column: 'first_name' }] },
    audience: { bucket: 'audiences', key: `${campaignId}.csv`, format: 'csv' },
    launch: { at: new Date(NOW).toISOString() },
  });
  expect(await store.create(definition, NOW)).toBe(true);
  let from: CampaignStatus = 'SCHEDULED';
  for (const to of path) {
    const last = to === path.at(-1);
    const moved = await store.applyStatus({
      campaignId,
      from,
      to,
      asked: from,
      actor: 'trigger',
      now: NOW,
      ...(last && reason ? { reason } : {}),
    });
    expect(moved).toBe(true);
    from = to;
  }
}

/** Meta changes the template; waits until its webhooks are posted and the status function has applied them. */
async function metaChanges(language: string, change: Parameters<typeof harness.sim.updateTemplate>[1]): Promise<void> {
  await harness.sim.updateTemplate(templateId(language), change);
  await harness.sim.webhooksIdle();
  await harness.quiet('StatusQueue');
}

const statusOf = async (campaignId: string) => {
  const record = await store.get(campaignId);
  return { status: record?.status, appliedStatus: record?.appliedStatus, statusReason: record?.statusReason };
};

describe('template webhooks steer the campaigns that send the template', () => {
  it('pauses on PAUSED, resumes only its own pause on REINSTATED, ignores RED, and fails on a category change', async () => {
    await campaign('tw-sending', 'de_DE', ['LAUNCHING', 'SENDING']);
    await campaign('tw-operator', 'de_DE', ['LAUNCHING', 'SENDING', 'PAUSED'], 'operator set PAUSED');
    await campaign('tw-english', 'en_US', ['LAUNCHING', 'SENDING']);
    await campaign('tw-scheduled', 'de_DE', []);

    await metaChanges('de_DE', { status: 'PAUSED' });
    expect(await statusOf('tw-sending')).toEqual({
      status: 'PAUSED',
      appliedStatus: 'PAUSED',
      statusReason: expect.stringMatching(new RegExp(`^${TEMPLATE_PAUSE_REASON_PREFIX} autumn_sale \\(de_DE\\) PAUSED \\(FIRST_PAUSE`)),
    });
    expect(await statusOf('tw-operator')).toEqual({ status: 'PAUSED', appliedStatus: 'PAUSED', statusReason: 'operator set PAUSED' });
    expect(await statusOf('tw-english')).toMatchObject({ appliedStatus: 'SENDING' });
    expect(await statusOf('tw-scheduled')).toMatchObject({ appliedStatus: 'SCHEDULED' });

    await metaChanges('de_DE', { status: 'REINSTATED' });
    expect(await statusOf('tw-sending')).toEqual({ status: 'SENDING', appliedStatus: 'SENDING', statusReason: undefined });
    expect(await statusOf('tw-operator')).toMatchObject({ appliedStatus: 'PAUSED', statusReason: 'operator set PAUSED' });

    await metaChanges('de_DE', { qualityScore: 'RED' });
    expect(await statusOf('tw-sending')).toMatchObject({ appliedStatus: 'SENDING' });

    await metaChanges('de_DE', { category: 'UTILITY' });
    for (const campaignId of ['tw-sending', 'tw-operator']) {
      expect(await statusOf(campaignId)).toEqual({
        status: 'FAILED',
        appliedStatus: 'FAILED',
        statusReason: expect.stringContaining('template unusable: autumn_sale (de_DE) category MARKETING → UTILITY'),
      });
    }
    expect(await statusOf('tw-english')).toMatchObject({ appliedStatus: 'SENDING' });
    expect(await statusOf('tw-scheduled')).toMatchObject({ appliedStatus: 'SCHEDULED' });
  });
});
