import type { SQSRecord } from 'aws-lambda';
import { applyTemplateEvent } from '../campaigns/apply-template-event.ts';
import { followOnSendPath } from '../campaigns/steer.ts';
import { EVERY_ACCOUNT, preferenceFromMessage, waIdToE164 } from '../domain/opt-out.ts';
import { parseTemplateEvent, type TemplateEvent } from '../domain/template-events.ts';
import {
  type InboundMessage,
  inboundMessageSchema,
  type MetaStatus,
  metaStatusSchema,
  type UserPreference,
  userPreferenceSchema,
  type WebhookEnvelope,
} from '../domain/webhook-events.ts';
import { accountOfNumber } from '../domain/whatsapp-accounts.ts';
import { InvalidWebhookEvent } from '../errors.ts';
import type { BatchTally } from '../jobs/batch-tally.ts';
import type { Preference } from '../ports/user-store.ts';
import type { StatusDeps } from './context.ts';

/** One status-queue message, validated. */
export type ParsedWebhookEvent =
  | { kind: 'status'; status: MetaStatus }
  | { kind: 'user_preference'; preference: UserPreference; phoneNumberId?: string }
  | { kind: 'inbound_message'; message: InboundMessage; phoneNumberId?: string }
  | { kind: 'user_action' }
  | { kind: 'template'; template: TemplateEvent };

/** Reads and validates one status-queue message. Throws `InvalidWebhookEvent` for what no retry can fix. */
export function parseWebhookEvent(record: SQSRecord): ParsedWebhookEvent {
  let envelope: WebhookEnvelope;
  try {
    envelope = JSON.parse(record.body) as WebhookEnvelope;
  } catch {
    throw new InvalidWebhookEvent('status queue message is not JSON');
  }
  const event = envelope.event;
  switch (event?.kind) {
    case 'status':
      return { kind: 'status', status: parseOrThrow(metaStatusSchema, event.status, 'status') };
    case 'user_preference':
      return {
        kind: 'user_preference',
        preference: parseOrThrow(userPreferenceSchema, event.preference, 'user_preference'),
        ...receivedBy(event.phoneNumberId),
      };
    case 'inbound_message':
      return {
        kind: 'inbound_message',
        message: parseOrThrow(inboundMessageSchema, event.message, 'inbound message'),
        ...receivedBy(event.phoneNumberId),
      };
    case 'user_action':
      return { kind: 'user_action' };
    case 'template': {
      const parsed = parseTemplateEvent(event, Date.parse(envelope.receivedAt) || Date.now());
      if (!parsed.ok) throw new InvalidWebhookEvent(`template ${String(event.field)}: ${parsed.reason}`);
      return { kind: 'template', template: parsed.event };
    }
    default:
      throw new InvalidWebhookEvent(`unknown event kind ${JSON.stringify((event as { kind?: unknown } | undefined)?.kind)}`);
  }
}

/** Applies one validated event other than a status: statuses go through `applyStatuses`, grouped per message. */
export async function applyParsedEvent(
  event: Exclude<ParsedWebhookEvent, { kind: 'status' }>,
  deps: StatusDeps,
  tally: BatchTally,
): Promise<void> {
  switch (event.kind) {
    case 'user_preference':
      return applyUserPreference(event.preference, event.phoneNumberId, deps, tally);
    case 'inbound_message':
      return applyInboundMessage(event.message, event.phoneNumberId, deps, tally);
    case 'user_action':
      tally.metric('LinkClicks');
      return;
    case 'template':
      return applyTemplate(event.template, deps, tally);
  }
}

/**
 * A template webhook: the campaigns sending that template are paused, resumed or failed. When
 * one of them could not be moved yet (it kept changing, or an operator's edit awaits the ticker),
 * the event is handed back to the queue and tried again; the others are then already where the
 * event puts them, so the retry changes nothing for them.
 */
async function applyTemplate(event: TemplateEvent, deps: StatusDeps, tally: BatchTally): Promise<void> {
  const outcomes = await applyTemplateEvent({
    event,
    campaigns: deps.campaigns,
    now: deps.now,
    logger: deps.logger,
    follow: (campaignId, to, reason) => followOnSendPath(campaignId, to, reason, deps.campaignFollowers),
  });
  const conflicts = outcomes.filter((outcome) => outcome.result === 'conflict');
  if (conflicts.length > 0) {
    throw new Error(`template event not applied to ${conflicts.map((outcome) => outcome.campaignId).join(', ')} yet`);
  }
  const applied = outcomes.filter((outcome) => outcome.result === 'applied');
  tally.metric(applied.length > 0 ? 'TemplateEventsApplied' : 'TemplateEventsIgnored');
  // The same metrics as the ticker's moves (CampaignsPaused, CampaignsFailed…): the alarms sum them over functions.
  for (const { to } of applied) if (to) tally.metric(`Campaigns${to[0]}${to.slice(1).toLowerCase()}`);
}

function parseOrThrow<T>(
  schema: {
    safeParse(
      v: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  value: unknown,
  what: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidWebhookEvent(
      `${what}: ${parsed.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return parsed.data;
}

/** The business number an event reached, when the webhook named one. */
function receivedBy(phoneNumberId: unknown): { phoneNumberId?: string } {
  return typeof phoneNumberId === 'string' && phoneNumberId !== '' ? { phoneNumberId } : {};
}

async function applyUserPreference(
  preference: UserPreference,
  phoneNumberId: string | undefined,
  deps: StatusDeps,
  tally: BatchTally,
): Promise<void> {
  if (preference.category && preference.category !== 'marketing_messages') return;
  const value = preference.value.toLowerCase();
  if (value !== 'stop' && value !== 'resume') {
    tally.metric('PreferencesIgnored');
    return;
  }
  const at = preference.timestamp === undefined ? deps.now() : Number(preference.timestamp) * 1000;
  await recordPreference(preference.wa_id, { optedOut: value === 'stop', source: 'user_preferences', at }, { phoneNumberId, deps, tally });
}

async function applyInboundMessage(
  message: InboundMessage,
  phoneNumberId: string | undefined,
  deps: StatusDeps,
  tally: BatchTally,
): Promise<void> {
  const change = preferenceFromMessage(message, deps.optOutPolicy);
  if (!change) {
    tally.metric('InboundMessages');
    return;
  }
  const at = message.timestamp ? Number(message.timestamp) * 1000 : deps.now();
  await recordPreference(message.from, { optedOut: change.optedOut, source: change.source, at }, { phoneNumberId, deps, tally });
}

/** Where a preference arrived, and what recording it needs. */
interface PreferenceArrival {
  phoneNumberId: string | undefined;
  deps: StatusDeps;
  tally: BatchTally;
}

/**
 * Users are kept under the number the jobs dial. Where WhatsApp's id differs from it (Brazil,
 * Mexico), a send to that user left an alias that names the dialled number.
 *
 * The preference belongs to the account of the number that received it, as Meta's marketing
 * opt-out belongs to the business. A number this deployment does not serve is another
 * business's: nothing is recorded. No number at all (a webhook without `metadata`): a stop is
 * kept for every account (the safe side), a resume cannot say which account it lifts and is ignored.
 */
async function recordPreference(
  waId: string,
  choice: Omit<Preference, 'account'>,
  { phoneNumberId, deps, tally }: PreferenceArrival,
): Promise<void> {
  const account = phoneNumberId === undefined ? EVERY_ACCOUNT : accountOfNumber(deps.accounts, phoneNumberId);
  if (account === undefined || (account === EVERY_ACCOUNT && !choice.optedOut)) {
    deps.logger.warn('preference not recorded: no account of this deployment received it', {
      phoneNumberId,
      optedOut: choice.optedOut,
      source: choice.source,
    });
    tally.metric('PreferencesWithoutAccount');
    return;
  }
  const waRecipient = waIdToE164(waId);
  const recipient = (await deps.jobs.dialledNumberOf(waRecipient)) ?? waRecipient;
  const applied = await deps.users.setPreference(recipient, { ...choice, account }, deps.now());
  tally.metric(applied ? (choice.optedOut ? 'OptOuts' : 'OptIns') : 'StalePreferences');
}
