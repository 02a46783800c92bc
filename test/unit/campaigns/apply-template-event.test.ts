import { beforeEach, describe, expect, it } from 'vitest';
import { applyTemplateEvent } from '../../../lib/campaigns/apply-template-event.ts';
import { type Campaign, campaignSchema } from '../../../lib/domain/campaign-contract.ts';
import type { CampaignStatus } from '../../../lib/domain/campaign-lifecycle.ts';
import { TEMPLATE_PAUSE_REASON_PREFIX } from '../../../lib/domain/template-campaign-rule.ts';
import type { TemplateEvent } from '../../../lib/domain/template-events.ts';
import type { CampaignRecord, CampaignStore, StatusChange } from '../../../lib/ports/campaign-store.ts';

const NOW = Date.parse('2027-01-15T09:00:00Z');
const AT = Date.parse('2027-01-15T08:00:00Z');

function definition(campaignId: string, template = { name: 'autumn_sale', language: 'de_DE' }): Campaign {
  return campaignSchema.parse({
    schemaVersion: 1,
    campaignId,
    phoneNumberId: '100000000000001',
    template: { ...template, body: [{ column: 'first_name' }] },
    audience: { bucket: 'audiences', key: `${campaignId}.csv`, format: 'csv' },
    launch: { at: '2027-01-15T07:00:00Z' },
  });
}

function record(campaignId: string, appliedStatus: CampaignStatus, extra: Partial<CampaignRecord> = {}): CampaignRecord {
  return { campaignId, status: appliedStatus, appliedStatus, definition: definition(campaignId), ...extra };
}

const notUsed = () => Promise.reject(new Error('not used'));

/**
 * The campaign items in memory, with `applyStatus` conditional on both statuses as read (as the
 * DynamoDB store's). `beforeWrite` lets a test change an item between the read and the write.
 */
class FakeCampaignStore implements CampaignStore {
  readonly items = new Map<string, CampaignRecord>();
  readonly writes: StatusChange[] = [];
  beforeWrite: (change: StatusChange) => void = () => {};
  /** How many coming writes are refused as if the item had changed since it was read. */
  refuseWrites = 0;

  constructor(records: CampaignRecord[]) {
    for (const r of records) this.items.set(r.campaignId, structuredClone(r));
  }

  async listOpen(): Promise<CampaignRecord[]> {
    const final = ['COMPLETED', 'CANCELLED'];
    return [...this.items.values()]
      .filter((r) => !final.includes(String(r.status)) || !final.includes(String(r.appliedStatus)))
      .map((r) => structuredClone(r));
  }

  async get(campaignId: string): Promise<CampaignRecord | undefined> {
    const item = this.items.get(campaignId);
    return item && structuredClone(item);
  }

  async applyStatus(change: StatusChange): Promise<boolean> {
    this.writes.push(change);
    this.beforeWrite(change);
    const item = this.items.get(change.campaignId);
    if (this.refuseWrites > 0) {
      this.refuseWrites -= 1;
      return false;
    }
    if (!item || item.status !== change.asked || item.appliedStatus !== change.from) return false;
    const { statusReason: _cleared, ...rest } = item;
    this.items.set(change.campaignId, {
      ...rest,
      status: change.to,
      appliedStatus: change.to,
      ...(change.reason === undefined ? {} : { statusReason: change.reason }),
    });
    return true;
  }

  create = notUsed;
  list = notUsed;
  requestStatus = notUsed;
  recordLaunch = notUsed;
  recordRefusal = notUsed;
  takeFeedLease = notUsed;
  saveFeed = notUsed;
  releaseFeedLease = notUsed;
  saveProgress = notUsed;
}

const logs: Array<{ level: string; message: string; details: unknown }> = [];
const logger = {
  info: (message: string, details?: unknown) => logs.push({ level: 'info', message, details }),
  warn: (message: string, details?: unknown) => logs.push({ level: 'warn', message, details }),
} as never;

const ref = { kind: 'template' as const, templateId: '1689556908129832', name: 'autumn_sale', language: 'de_DE', at: AT };
const paused: TemplateEvent = { ...ref, change: 'status', event: 'PAUSED', title: 'FIRST_PAUSE' };
const reinstated: TemplateEvent = { ...ref, change: 'status', event: 'REINSTATED', at: AT + 3 * 3_600_000 };
const disabled: TemplateEvent = { ...ref, change: 'status', event: 'DISABLED' };

/** The moves the send path was told to follow, in order. */
const followed: Array<{ campaignId: string; to: string }> = [];
const follow = async (campaignId: string, to: string) => {
  followed.push({ campaignId, to });
};
const apply = (event: TemplateEvent, campaigns: FakeCampaignStore) =>
  applyTemplateEvent({ event, campaigns, now: () => NOW, logger, follow });

beforeEach(() => {
  logs.length = 0;
  followed.length = 0;
});

describe('applyTemplateEvent', () => {
  it('pauses the sending campaigns that use the template (name and language), as Meta, and no others', async () => {
    const store = new FakeCampaignStore([
      record('uses-it', 'SENDING'),
      record('other-language', 'SENDING', { definition: definition('other-language', { name: 'autumn_sale', language: 'en_US' }) }),
      record('other-name', 'SENDING', { definition: definition('other-name', { name: 'winter_sale', language: 'de_DE' }) }),
      record('broken', 'SENDING', { definition: undefined, definitionProblem: 'template: required' }),
      record('scheduled', 'SCHEDULED'),
    ]);
    const outcomes = await apply(paused, store);
    expect(outcomes).toEqual([
      { campaignId: 'uses-it', action: 'pause', result: 'applied', from: 'SENDING', to: 'PAUSED', why: expect.any(String) },
      { campaignId: 'scheduled', action: 'none', result: 'unchanged', from: 'SCHEDULED', why: expect.stringContaining('SCHEDULED') },
    ]);
    expect(store.writes).toEqual([
      {
        campaignId: 'uses-it',
        from: 'SENDING',
        to: 'PAUSED',
        asked: 'SENDING',
        actor: 'meta',
        reason: `${TEMPLATE_PAUSE_REASON_PREFIX} autumn_sale (de_DE) PAUSED (FIRST_PAUSE) at 2027-01-15T08:00:00.000Z`,
        now: NOW,
      },
    ]);
    expect(store.items.get('other-language')?.appliedStatus).toBe('SENDING');
    expect(logs).toMatchObject([{ level: 'info', details: { campaignId: 'uses-it', templateId: '1689556908129832' } }]);
    // The send path follows the applied move only: the paused campaign's queued jobs are held.
    expect(followed).toEqual([{ campaignId: 'uses-it', to: 'PAUSED' }]);
  });

  it('resumes the campaign it paused once the template is reinstated, but not one an operator paused', async () => {
    const store = new FakeCampaignStore([
      record('by-meta', 'SENDING'),
      record('by-operator', 'PAUSED', { statusReason: 'operator set PAUSED' }),
    ]);
    await apply(paused, store);
    const outcomes = await apply(reinstated, store);
    expect(outcomes.map((o) => [o.campaignId, o.action, o.result])).toEqual([
      ['by-meta', 'resume', 'applied'],
      ['by-operator', 'none', 'unchanged'],
    ]);
    expect(store.items.get('by-meta')).toMatchObject({ status: 'SENDING', appliedStatus: 'SENDING' });
    expect(store.items.get('by-meta')?.statusReason).toBeUndefined();
    expect(store.items.get('by-operator')).toMatchObject({ appliedStatus: 'PAUSED', statusReason: 'operator set PAUSED' });
  });

  it('fails sending and paused campaigns when the template is disabled', async () => {
    const store = new FakeCampaignStore([record('a', 'SENDING'), record('b', 'PAUSED', { statusReason: 'operator set PAUSED' })]);
    const outcomes = await apply(disabled, store);
    expect(outcomes.map((o) => [o.campaignId, o.to, o.result])).toEqual([
      ['a', 'FAILED', 'applied'],
      ['b', 'FAILED', 'applied'],
    ]);
    expect(store.items.get('b')?.statusReason).toContain('template unusable: autumn_sale (de_DE) DISABLED');
  });

  it('re-reads the item and decides again when the write lost a race', async () => {
    const store = new FakeCampaignStore([record('raced', 'SENDING')]);
    // An operator's pause lands between our read and our write.
    store.beforeWrite = () => {
      store.beforeWrite = () => {};
      store.items.set('raced', record('raced', 'PAUSED', { statusReason: 'operator set PAUSED' }));
    };
    const outcomes = await apply(disabled, store);
    expect(store.writes.map((w) => w.from)).toEqual(['SENDING', 'PAUSED']);
    expect(outcomes).toMatchObject([{ campaignId: 'raced', action: 'fail', from: 'PAUSED', result: 'applied' }]);
  });

  it('after a lost race, writes nothing when the campaign no longer needs the move', async () => {
    const store = new FakeCampaignStore([record('raced', 'SENDING')]);
    store.beforeWrite = () => {
      store.beforeWrite = () => {};
      store.items.set('raced', record('raced', 'PAUSED', { statusReason: 'operator set PAUSED' }));
    };
    const outcomes = await apply(paused, store);
    expect(store.writes).toHaveLength(1);
    expect(outcomes).toMatchObject([{ campaignId: 'raced', action: 'none', result: 'unchanged' }]);
  });

  it('reports a conflict when the second write loses too, and does not write a third time', async () => {
    const store = new FakeCampaignStore([record('busy', 'SENDING')]);
    // Another writer changes the item and puts it back between each of our reads and writes.
    store.refuseWrites = 2;
    const outcomes = await apply(paused, store);
    expect(store.writes).toHaveLength(2);
    expect(outcomes).toMatchObject([{ campaignId: 'busy', action: 'pause', result: 'conflict' }]);
    expect(logs).toMatchObject([{ level: 'warn', details: { campaignId: 'busy' } }]);
  });

  it('does not write over an operator’s edit waiting for the ticker, and reports a conflict to try again', async () => {
    const store = new FakeCampaignStore([record('edited', 'SENDING', { status: 'CANCELLED' })]);
    const outcomes = await apply(paused, store);
    expect(store.writes).toHaveLength(0);
    expect(outcomes).toMatchObject([
      { campaignId: 'edited', action: 'pause', result: 'conflict', why: expect.stringContaining('CANCELLED') },
    ]);
  });

  it('stops when the campaign vanished or changed template after a lost race', async () => {
    const store = new FakeCampaignStore([record('gone', 'SENDING')]);
    store.beforeWrite = () => store.items.delete('gone');
    const outcomes = await apply(paused, store);
    expect(outcomes).toMatchObject([{ campaignId: 'gone', result: 'unchanged', why: expect.stringContaining('no longer') }]);
  });
});
