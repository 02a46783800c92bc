import { type DynamoDBDocumentClient, GetCommand, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CampaignBreaker, ControlAdmin, FleetSwitch, PhoneBreaker } from '../../ports/control-admin.ts';
import { CAMPAIGN_PREFIX, FLEET_KEY, PHONE_PREFIX, phoneKey } from './control-store.ts';
import { writeIfAllowed } from './dynamo.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The control table for operators: the items the send path reads, listed and moved conditionally. */
export class DynamoControlAdmin implements ControlAdmin {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, options: { tableName: string }) {
    this.doc = doc;
    this.table = options.tableName;
  }

  async stopped(): Promise<{ phones: PhoneBreaker[]; campaigns: CampaignBreaker[] }> {
    // A scan, on purpose: the table holds one item per phone number, pace and campaign (a few
    // thousand at most), and an index for the rare operator's look would cost a write on every change.
    const phones: PhoneBreaker[] = [];
    const campaigns: CampaignBreaker[] = [];
    const pages = paginateScan(
      { client: this.doc },
      {
        TableName: this.table,
        FilterExpression: '(begins_with(#k, :phone) AND #state = :open) OR (begins_with(#k, :campaign) AND #status = :paused)',
        ExpressionAttributeNames: { '#k': 'key', '#state': 'state', '#status': 'status' },
        ExpressionAttributeValues: { ':phone': PHONE_PREFIX, ':open': 'open', ':campaign': CAMPAIGN_PREFIX, ':paused': 'PAUSED' },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const { key, ...fields } = item as { key: string };
        if (key.startsWith(PHONE_PREFIX)) phones.push({ phoneNumberId: key.slice(PHONE_PREFIX.length), ...fields });
        else campaigns.push({ campaignId: key.slice(CAMPAIGN_PREFIX.length), ...fields });
      }
    }
    return { phones, campaigns };
  }

  async phone(phoneNumberId: string): Promise<PhoneBreaker | undefined> {
    const fields = await this.fieldsOf(phoneKey(phoneNumberId));
    return fields && { phoneNumberId, ...fields };
  }

  closePhone(phoneNumberId: string, now: number): Promise<boolean> {
    return writeIfAllowed(
      this.doc,
      new UpdateCommand({
        TableName: this.table,
        Key: { key: phoneKey(phoneNumberId) },
        ConditionExpression: '#s = :open',
        UpdateExpression: 'SET #s = :closed, closedAt = :at, closedBy = :operator REMOVE nextProbeAt, probeIntervalSeconds',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':open': 'open', ':closed': 'closed', ':at': iso(now), ':operator': 'operator' },
      }),
    );
  }

  fleet(): Promise<FleetSwitch | undefined> {
    return this.fieldsOf(FLEET_KEY);
  }

  stopAll(reason: string, now: number): Promise<boolean> {
    return this.setFleet({ to: 'stopped', reason, now });
  }

  startAll(now: number): Promise<boolean> {
    return this.setFleet({ to: 'running', reason: 'started by an operator', now });
  }

  /** Stopping needs it not stopped (no item counts as running); starting needs it stopped. */
  private setFleet({ to, reason, now }: { to: 'stopped' | 'running'; reason: string; now: number }): Promise<boolean> {
    return writeIfAllowed(
      this.doc,
      new UpdateCommand({
        TableName: this.table,
        Key: { key: FLEET_KEY },
        ConditionExpression: to === 'stopped' ? 'attribute_not_exists(#s) OR #s <> :stopped' : '#s = :stopped',
        UpdateExpression: 'SET #s = :to, reason = :reason, changedAt = :at, changedBy = :operator',
        ExpressionAttributeNames: { '#s': 'state' },
        ExpressionAttributeValues: { ':stopped': 'stopped', ':to': to, ':reason': reason, ':at': iso(now), ':operator': 'operator' },
      }),
    );
  }

  /** An item's attributes without its key; undefined when there is none. */
  private async fieldsOf(key: string): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.table, Key: { key }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { key: _key, ...fields } = Item;
    return fields;
  }
}
