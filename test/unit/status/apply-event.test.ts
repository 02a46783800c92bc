import { templateStatusPayload } from 'mm-api-simulator';
import { describe, expect, it } from 'vitest';
import { type Campaign, campaignSchema } from '../../../lib/domain/campaign-contract.ts';
import { splitWebhookPayload, WEBHOOK_EVENT_VERSION } from '../../../lib/domain/webhook-events.ts';
import { InvalidWebhookEvent } from '../../../lib/errors.ts';
import { BatchTally } from '../../../lib/jobs/batch-tally.ts';
import type { CampaignRecord, StatusChange } from '../../../lib/ports/campaign-store.ts';
import { applyParsedEvent, parseWebhookEvent } from '../../../lib/status/apply-event.ts';
import type { StatusDeps } from '../../../lib/status/context.ts';
import { sqsRecord } from '../../helpers/factories.ts';

/** Template webhooks on the status path: parsed from the queue, applied to campaigns, counted. */
const subject = { wabaId: '1', id: '77', name: 'autumn_sale', language: 'de_DE', category: 'MARKETING' as const, time: 1_800_000_000 };

function queued(status: 'PAUSED' | 'REINSTATED') {
  const split = splitWebhookPayload(templateStatusPayload(subject, { status, reason: 'NONE' }));
  if (!split.ok) throw new Error(split.reason);
  return sqsRecord(JSON.stringify({ v: WEBHOOK_EVENT_VERSION, receivedAt: '2027-01-15T08:00:00Z', event: split.events[0] }));
}

const definition: Campaign = campaignSchema.parse({
  schemaVersion: 1,
  campaignId: 'c1',
  phoneNumberId: '100000000000001',
  template: { name: 'autumn_sale', language: 'de_DE', body: [{ column: 'first_name' }] },
  audience: { bucket: 'audiences', key: 'k.csv', format: 'csv' },
  launch: { at: '2027-01-15T07:00:00Z' },
});

function depsWith(record: CampaignRecord, options: { refuseWrites?: boolean } = {}) {
  const writes: StatusChange[] = [];
  const campaigns: StatusDeps['campaigns'] = {
    listOpen: async () => [record],
    get: async () => record,
    applyStatus: async (change) => {
      writes.push(change);
      return !options.refuseWrites;
    },
  };
  const logger = { info: () => {}, warn: () => {} };
  const controls: Array<{ campaignId: string; status: string }> = [];
  const campaignFollowers: StatusDeps['campaignFollowers'] = {
    controls: {
      setCampaignStatus: async (campaignId, status) => {
        controls.push({ campaignId, status });
      },
    },
    feeds: { kick: async () => {} },
    now: () => 0,
  };
  return { writes, controls, deps: { campaigns, campaignFollowers, now: () => 0, logger } as unknown as StatusDeps };
}

const sending: CampaignRecord = { campaignId: 'c1', status: 'SENDING', appliedStatus: 'SENDING', definition };

describe('template events on the status path', () => {
  it('parses a queued template event', () => {
    expect(parseWebhookEvent(queued('PAUSED'))).toMatchObject({
      kind: 'template',
      template: { change: 'status', event: 'PAUSED', templateId: '77', at: 1_800_000_000_000 },
    });
  });

  it('dead-letters a template event no retry can make valid', () => {
    const body = JSON.stringify({
      v: WEBHOOK_EVENT_VERSION,
      receivedAt: '2027-01-15T08:00:00Z',
      event: { kind: 'template', field: 'message_template_status_update', value: { event: 'PAUSED' } },
    });
    expect(() => parseWebhookEvent(sqsRecord(body))).toThrow(InvalidWebhookEvent);
  });

  it('counts an event that moved a campaign as applied', async () => {
    const { deps, writes, controls } = depsWith(sending);
    const tally = new BatchTally();
    const event = parseWebhookEvent(queued('PAUSED'));
    if (event.kind === 'status') throw new Error('not a template event');
    await applyParsedEvent(event, deps, tally);
    expect(writes).toMatchObject([{ campaignId: 'c1', from: 'SENDING', to: 'PAUSED', actor: 'meta' }]);
    // The send path holds the campaign's queued jobs.
    expect(controls).toEqual([{ campaignId: 'c1', status: 'PAUSED' }]);
    expect(Object.fromEntries(tally.metrics)).toEqual({ TemplateEventsApplied: 1, CampaignsPaused: 1 });
  });

  it('counts an event that moved nothing as ignored', async () => {
    const { deps, writes } = depsWith(sending);
    const tally = new BatchTally();
    const event = parseWebhookEvent(queued('REINSTATED'));
    if (event.kind === 'status') throw new Error('not a template event');
    await applyParsedEvent(event, deps, tally);
    expect(writes).toEqual([]);
    expect(Object.fromEntries(tally.metrics)).toEqual({ TemplateEventsIgnored: 1 });
  });

  it('hands the event back when a campaign could not be moved yet', async () => {
    const { deps } = depsWith(sending, { refuseWrites: true });
    const tally = new BatchTally();
    const event = parseWebhookEvent(queued('PAUSED'));
    if (event.kind === 'status') throw new Error('not a template event');
    await expect(applyParsedEvent(event, deps, tally)).rejects.toThrow('not applied to c1 yet');
    expect(tally.metrics.size).toBe(0);
  });
});
