import { describe, expect, it } from 'vitest';
import { EVERY_ACCOUNT } from '../../../lib/domain/opt-out.ts';
import { WEBHOOK_EVENT_VERSION, type WebhookEvent } from '../../../lib/domain/webhook-events.ts';
import { servedAccounts } from '../../../lib/domain/whatsapp-accounts.ts';
import { BatchTally } from '../../../lib/jobs/batch-tally.ts';
import type { Preference } from '../../../lib/ports/user-store.ts';
import { applyParsedEvent, parseWebhookEvent } from '../../../lib/status/apply-event.ts';
import type { StatusDeps } from '../../../lib/status/context.ts';
import { sqsRecord } from '../../helpers/factories.ts';

/** Which account a preference from the status queue is recorded for: the one of the number that received it. */
const accounts = servedAccounts({ '100000000000000': ['100000000000001'], '200000000000000': ['200000000000001'] });

function depsRecording() {
  const recorded: Array<{ recipient: string; preference: Preference }> = [];
  const warnings: string[] = [];
  const deps = {
    accounts,
    optOutPolicy: { payloads: [], stopKeywords: ['STOP'], resumeKeywords: ['START'] },
    jobs: { dialledNumberOf: async () => undefined },
    users: {
      setPreference: async (recipient: string, preference: Preference) => {
        recorded.push({ recipient, preference });
        return true;
      },
    },
    logger: { warn: (message: string) => warnings.push(message) },
    now: () => 1_800_000_000_000,
  } as unknown as StatusDeps;
  return { deps, recorded, warnings };
}

async function apply(event: WebhookEvent) {
  const { deps, recorded, warnings } = depsRecording();
  const tally = new BatchTally();
  const parsed = parseWebhookEvent(sqsRecord(JSON.stringify({ v: WEBHOOK_EVENT_VERSION, receivedAt: '2027-01-15T08:00:00Z', event })));
  if (parsed.kind === 'status') throw new Error('not a preference');
  await applyParsedEvent(parsed, deps, tally);
  return { recorded, warnings, tally };
}

const preference = (value: 'stop' | 'resume') => ({
  wa_id: '4915112345678',
  category: 'marketing_messages',
  value,
  timestamp: 1_800_000_000,
});
const typed = (body: string) => ({ from: '4915112345678', id: 'wamid.in', timestamp: '1800000000', type: 'text', text: { body } });

describe('the account of a preference', () => {
  it('is the account of the number that received a user_preferences stop or a typed word', async () => {
    const stop = await apply({ kind: 'user_preference', phoneNumberId: '200000000000001', preference: preference('stop') });
    expect(stop.recorded).toEqual([
      {
        recipient: '+4915112345678',
        preference: { optedOut: true, source: 'user_preferences', at: 1_800_000_000_000, account: '200000000000000' },
      },
    ]);
    const start = await apply({ kind: 'inbound_message', phoneNumberId: '100000000000001', message: typed('START') });
    expect(start.recorded[0]?.preference).toMatchObject({ optedOut: false, source: 'keyword', account: '100000000000000' });
  });

  it('is every account for a stop whose number the webhook did not name (the safe side)', async () => {
    const { recorded } = await apply({ kind: 'inbound_message', message: typed('stop') });
    expect(recorded[0]?.preference).toMatchObject({ optedOut: true, account: EVERY_ACCOUNT });
  });

  it('is none for a resume whose number is not named, or for a number this deployment does not serve: nothing is recorded', async () => {
    for (const event of [
      { kind: 'user_preference', preference: preference('resume') },
      { kind: 'user_preference', phoneNumberId: '999999999999', preference: preference('stop') },
    ] as WebhookEvent[]) {
      const { recorded, warnings, tally } = await apply(event);
      expect(recorded).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(tally.metrics.get('PreferencesWithoutAccount')).toBe(1);
    }
  });
});
