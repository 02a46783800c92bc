import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CampaignControl, type FleetControl, nextProbeInterval, type PhoneControl } from '../../domain/breaker.ts';
import type { ThrottleState } from '../../domain/pacing.ts';
import type { ControlStore, Controls, PaceAnswer, Scope } from '../../ports/control-store.ts';
import { batchGetAll, refusedItem, writeIfAllowed } from './dynamo.ts';

/** The key prefixes of a phone number's breaker item and a campaign's control item. */
export const PHONE_PREFIX = 'phone#';
export const CAMPAIGN_PREFIX = 'campaign#';
export const phoneKey = (phoneNumberId: string) => `${PHONE_PREFIX}${phoneNumberId}`;
/** The number's shared next free send time (pacing), apart from its breaker item so that breaker edits never race it. */
export const paceKey = (phoneNumberId: string) => `pace#${phoneNumberId}`;
export const campaignKey = (campaignId: string) => `${CAMPAIGN_PREFIX}${campaignId}`;
/** The emergency stop of all sending: one item, so that a console edit or one command stops every number. */
export const FLEET_KEY = 'fleet';
const keyOf = (scope: Scope) => (scope.kind === 'phone' ? phoneKey(scope.id) : campaignKey(scope.id));

/** A phone number's breaker is `state` open/closed; a campaign's is its operator-facing `status`. */
function breakerField(scope: Scope): { name: string; open: string; closed: string } {
  return scope.kind === 'phone' ? { name: 'state', open: 'open', closed: 'closed' } : { name: 'status', open: 'PAUSED', closed: 'RUNNING' };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The control table on DynamoDB: one item per phone number, pace and campaign, every change conditional. */
export class DynamoControlStore implements ControlStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;

  constructor(doc: DynamoDBDocumentClient, options: { tableName: string }) {
    this.doc = doc;
    this.table = options.tableName;
  }

  async read(phoneNumberIds: readonly string[], campaignIds: readonly string[]): Promise<Controls> {
    const controls: Controls = { phones: new Map(), campaigns: new Map() };
    const keys = [...new Set([FLEET_KEY, ...phoneNumberIds.map(phoneKey), ...campaignIds.map(campaignKey)])];
    for (const item of await batchGetAll<{ key: string }>(
      this.doc,
      this.table,
      keys.map((key) => ({ key })),
    )) {
      if (item.key === FLEET_KEY) controls.fleet = item as FleetControl;
      else if (item.key.startsWith(PHONE_PREFIX)) controls.phones.set(item.key.slice(PHONE_PREFIX.length), item as PhoneControl);
      else controls.campaigns.set(item.key.slice(CAMPAIGN_PREFIX.length), item as CampaignControl);
    }
    return controls;
  }

  async appendToPace(phoneNumberId: string, spanMicros: number, window: { from: number; to: number }): Promise<PaceAnswer> {
    try {
      const result = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { key: paceKey(phoneNumberId) },
          ConditionExpression: 'nextFreeAt BETWEEN :from AND :to',
          UpdateExpression: 'ADD nextFreeAt :span',
          ExpressionAttributeValues: { ':span': spanMicros, ':from': window.from, ':to': window.to },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { appended: true, startMicros: Number(result.Attributes?.nextFreeAt) - spanMicros };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return { appended: false, nextFreeMicros: refusedItem<{ nextFreeAt?: number }>(error)?.nextFreeAt };
    }
  }

  restartPace(phoneNumberId: string, expected: number | undefined, nextFreeMicros: number): Promise<boolean> {
    return this.compareAndSet(paceKey(phoneNumberId), 'nextFreeAt', expected, { nextFreeAt: nextFreeMicros });
  }

  open(scope: Scope, code: number, reason: string, now: number): Promise<boolean> {
    const interval = nextProbeInterval(undefined);
    const field = breakerField(scope);
    return writeIfAllowed(
      this.doc,
      new UpdateCommand({
        TableName: this.table,
        Key: { key: keyOf(scope) },
        ConditionExpression: 'attribute_not_exists(#s) OR #s <> :open',
        UpdateExpression:
          'SET #s = :open, reasonCode = :code, reason = :reason, openedAt = :at, nextProbeAt = :probe, probeIntervalSeconds = :interval' +
          (scope.kind === 'campaign' ? ', pausedBy = :by' : ''),
        ExpressionAttributeNames: { '#s': field.name },
        ExpressionAttributeValues: {
          ':open': field.open,
          ':code': code,
          ':reason': reason,
          ':at': iso(now),
          ':probe': now + interval * 1000,
          ':interval': interval,
          ...(scope.kind === 'campaign' ? { ':by': 'template_error' } : {}),
        },
      }),
    );
  }

  takeProbe(scope: Scope, now: number, currentIntervalSeconds: number | undefined): Promise<boolean> {
    // Whoever moves nextProbeAt on first sends the probe; the rest keep holding. A probe
    // that fails leaves the breaker open with the longer interval set here.
    const next = nextProbeInterval(currentIntervalSeconds);
    const field = breakerField(scope);
    return writeIfAllowed(
      this.doc,
      new UpdateCommand({
        TableName: this.table,
        Key: { key: keyOf(scope) },
        ConditionExpression: '#s = :open AND nextProbeAt <= :now',
        UpdateExpression: 'SET nextProbeAt = :nextAt, probeIntervalSeconds = :next, lastProbeAt = :at',
        ExpressionAttributeNames: { '#s': field.name },
        ExpressionAttributeValues: { ':open': field.open, ':now': now, ':nextAt': now + next * 1000, ':next': next, ':at': iso(now) },
      }),
    );
  }

  async close(scope: Scope, now: number): Promise<void> {
    const field = breakerField(scope);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { key: keyOf(scope) },
        UpdateExpression: 'SET #s = :closed, closedAt = :at REMOVE nextProbeAt, probeIntervalSeconds',
        ExpressionAttributeNames: { '#s': field.name },
        ExpressionAttributeValues: { ':closed': field.closed, ':at': iso(now) },
      }),
    );
  }

  async setCampaignStatus(campaignId: string, status: 'RUNNING' | 'PAUSED' | 'CANCELLED', reason: string, now: number): Promise<void> {
    // A lifecycle pause is never probed (pausedBy operator): only the campaign's resume lifts it.
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { key: campaignKey(campaignId) },
        UpdateExpression: 'SET #s = :status, reason = :reason, pausedBy = :by, changedAt = :at REMOVE nextProbeAt, probeIntervalSeconds',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':status': status, ':reason': reason, ':by': 'operator', ':at': iso(now) },
      }),
    );
  }

  throttleBack(phoneNumberId: string, seenThrottledAt: number | undefined, next: Required<ThrottleState>): Promise<boolean> {
    return this.compareAndSet(phoneKey(phoneNumberId), 'throttledAt', seenThrottledAt, next);
  }

  /** Sets `values` on the item if `attribute` still holds `expected` (absent when undefined). */
  private compareAndSet(key: string, attribute: string, expected: number | undefined, values: Record<string, number>): Promise<boolean> {
    const names = Object.keys(values);
    return writeIfAllowed(
      this.doc,
      new UpdateCommand({
        TableName: this.table,
        Key: { key },
        ConditionExpression: expected === undefined ? 'attribute_not_exists(#seen)' : '#seen = :seen',
        UpdateExpression: `SET ${names.map((_, i) => `#v${i} = :v${i}`).join(', ')}`,
        ExpressionAttributeNames: { '#seen': attribute, ...Object.fromEntries(names.map((name, i) => [`#v${i}`, name])) },
        ExpressionAttributeValues: {
          ...Object.fromEntries(names.map((name, i) => [`:v${i}`, values[name]])),
          ...(expected === undefined ? {} : { ':seen': expected }),
        },
      }),
    );
  }
}

/** The control store on DynamoDB. */
export function createControlStore(doc: DynamoDBDocumentClient, options: { tableName: string }): ControlStore {
  return new DynamoControlStore(doc, options);
}
