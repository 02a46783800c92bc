import { DynamoControlAdmin } from '../../lib/adapters/dynamodb/control-admin.ts';
import type { PhoneBreaker } from '../../lib/ports/control-admin.ts';
import { invalidInput, refused } from '../campaign/failure.ts';
import type { OpsContext } from './context.ts';

/**
 * `ops breaker …` and `ops sending …`: the control table's breakers and emergency stop, as an
 * operator edits them in the DynamoDB console (`…-control`: `phone#<id>` → `state`, `fleet` → `state`).
 */
function adminOf(context: OpsContext): DynamoControlAdmin {
  return new DynamoControlAdmin(context.doc, { tableName: context.setting('CONTROL_TABLE') });
}

/** Meta's phone number ids are digits only; anything else is a typo that would match no item. */
function phoneNumberIdOf(text: string): string {
  if (!/^\d{5,20}$/.test(text)) throw invalidInput(`not a phone number id (Meta's, digits only): ${text}`);
  return text;
}

const describePhone = (breaker: PhoneBreaker) =>
  [
    `phone number ${breaker.phoneNumberId}: ${breaker.state ?? 'closed'}`,
    breaker.reason ? `  reason: ${breaker.reason}` : undefined,
    breaker.openedAt ? `  opened: ${breaker.openedAt}` : undefined,
    breaker.nextProbeAt ? `  next probe: ${new Date(breaker.nextProbeAt).toISOString()}` : undefined,
    breaker.closedAt ? `  closed: ${breaker.closedAt}` : undefined,
  ].filter((line) => line !== undefined);

export async function listBreakers(context: OpsContext): Promise<void> {
  const { phones, campaigns } = await adminOf(context).stopped();
  if (phones.length === 0 && campaigns.length === 0) context.out('no breaker is open and no campaign is paused');
  for (const phone of phones) context.out(describePhone(phone).join('\n'));
  for (const campaign of campaigns) {
    context.out(
      `campaign ${campaign.campaignId}: paused by ${campaign.pausedBy ?? 'an operator'}${campaign.reason ? ` (${campaign.reason})` : ''}`,
    );
  }
}

export async function showBreaker(context: OpsContext, id: string): Promise<void> {
  const phoneNumberId = phoneNumberIdOf(id);
  const breaker = await adminOf(context).phone(phoneNumberId);
  if (!breaker) throw refused(`phone number ${phoneNumberId} has no control item: it has never been stopped`);
  context.out(describePhone(breaker).join('\n'));
}

export async function closeBreaker(context: OpsContext, id: string): Promise<void> {
  const phoneNumberId = phoneNumberIdOf(id);
  if (!(await adminOf(context).closePhone(phoneNumberId, context.now()))) {
    throw refused(`phone number ${phoneNumberId}'s breaker is not open: nothing changed`);
  }
  context.out(`phone number ${phoneNumberId}: closed; its held jobs go out within HOLD_SECONDS (45 s by default)`);
}

export async function stopSending(context: OpsContext, reason: string | undefined): Promise<void> {
  if (!reason?.trim()) throw invalidInput('sending stop needs --reason "<why>": the next operator reads it on the item');
  if (!(await adminOf(context).stopAll(reason.trim(), context.now()))) throw refused('all sending is stopped already: nothing changed');
  context.out('all sending stopped: every job is held (no retry spent) until `ops sending start`');
}

export async function startSending(context: OpsContext): Promise<void> {
  if (!(await adminOf(context).startAll(context.now()))) throw refused('sending is not stopped: nothing changed');
  context.out('sending runs again: the held jobs go out within HOLD_SECONDS (45 s by default)');
}

export async function showSending(context: OpsContext): Promise<void> {
  const fleet = await adminOf(context).fleet();
  if (fleet?.state !== 'stopped') {
    context.out(`sending runs${fleet?.changedAt ? ` (since ${fleet.changedAt})` : ''}`);
    return;
  }
  context.out(`all sending stopped since ${fleet.changedAt ?? '?'} by ${fleet.changedBy ?? '?'}: ${fleet.reason ?? 'no reason given'}`);
}
