import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ProgressChange, type Route, statesMovedBy } from '../domain/delivery-state.ts';
import { type JobState, JOB_STATES, WAITING_STATES } from '../domain/job-state.ts';
import type { Decision } from '../domain/send-plan.ts';
import { contractOf, type ValidJob } from '../domain/validate-job.ts';
import { batchGetAll, refusedItem, writeIfAllowed } from './dynamo.ts';
import { recipientOfJobKey, type StoredContract, storedContractOf } from './job-item.ts';

/**
 * The job item as stored. It stays under 1 KB (one write unit per update, `job-item.ts`), so
 * nothing is kept twice. Times are ISO strings so operators can read them in the console;
 * Meta's times (`sentAt`, `deliveredAt`, `readAt`) have whole seconds.
 */
export interface JobRecord extends Partial<StoredContract> {
  jobKey: string;
  campaignId: string;
  /** Not stored (it is the key's second part): the store adds it to every record it returns. */
  recipient: string;
  phoneNumberId: string;
  state: JobState;
  attempt: number;
  retries: number;
  /** Items written before the contract had its own attributes keep it here as JSON. */
  payload?: string;
  /** Identity of the queue message that holds (or last held) the claim. */
  claimToken: string;
  /** Only the queue message carrying this id may claim a waiting job. */
  nextDispatchId?: string;
  createdAt: string;
  validUntil: string;
  claimedAt?: string;
  dueAt?: string;
  wamid?: string;
  messageStatus?: string;
  /** Latest acceptance. Never removed: its presence means the recipient was accepted once (unique counts). */
  acceptedAt?: string;
  sentAt?: string;
  deliveredAt?: string;
  readAt?: string;
  /** `marketing_messages_api`, or `cloud_api_fallback` when Meta routed through the Cloud API. */
  route?: Route;
  lastErrorCode?: number;
  lastErrorReason?: string;
  /** MM API calls made for this job: more than one only after a 131049 (one per attempt) or a transient error. */
  apiCalls: number;
  /**
   * Written once, when Meta first accepts the job, and never removed: the `byOpenDeadline`
   * index entry (shard, validity deadline in ms) that the dropped sweep reads once.
   */
  openShard?: string;
  openUntil?: number;
  /** TTL (epoch seconds): job items hold phone numbers, so they expire. */
  expiresAt: number;
}

export type ClaimResult = { claimed: true; record: JobRecord; previousState?: JobState } | { claimed: false; existing: JobRecord };

export interface ClaimRequest {
  job: ValidJob;
  token: string;
  now: number;
  createdAt: number;
  validUntil: number;
  /** `sending` for a real claim; another state records a job settled or postponed before any API call. */
  state: typeof JOB_STATES.sending | typeof JOB_STATES.expired | typeof JOB_STATES.suppressed | typeof JOB_STATES.deferred | typeof JOB_STATES.cancelled;
  reason?: string;
  /** With `deferred`: when, and the id of the message that will carry it. */
  deferral?: { dueAt: number; nextDispatchId: string };
}

/** A conditional write from a status webhook: the item before it, or (refused) the item as it is. */
export type WebhookWrite = { written: true; before: JobRecord } | { written: false; current: JobRecord | undefined };

/** A job the sweep may drop: its state and campaign, read eventually consistent. */
export interface OpenCandidate {
  jobKey: string;
  state: JobState;
  campaignId: string;
}

export function jobKeyOf(campaignId: string, recipient: string): string {
  return `${campaignId}#${recipient}`;
}

/** Number of `openShard` values: enough partitions for the sweep's index at 1,000 accepts/s. */
export const OPEN_SHARDS = 16;

/** A job's shard, fixed by its key: a second acceptance (a retry) rewrites the same index entry, which costs nothing. */
export function openShardOf(jobKey: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < jobKey.length; i++) hash = Math.imul(hash ^ jobKey.charCodeAt(i), 0x01000193);
  return String((hash >>> 0) % OPEN_SHARDS);
}

/** Attributes of items written by earlier versions, dropped at the next claim: they only repeated others. */
const LEGACY_ATTRIBUTES = ['payload', 'templateName', 'templateLanguage', 'firstAcceptedAt', 'updatedAt', 'recipient'];

export interface JobStore {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Writes the outcome of a claimed send. False when the claim was lost meanwhile. `validUntil`
   * (the item's, ISO) puts an accepted job in the dropped sweep's index, keyed by its deadline.
   */
  recordDecision(jobKey: string, token: string, decision: Decision, now: number, nextDispatchId?: string, validUntil?: string): Promise<boolean>;
  /** A claim whose worker died mid-send: the request may have reached Meta. */
  markUnknown(jobKey: string, token: string, now: number, reason: string): Promise<boolean>;
  /** Moves the job with this wamid forward if its state allows it (`statesMovedBy`); no read first. */
  applyProgress(jobKey: string, wamid: string, change: ProgressChange): Promise<WebhookWrite>;
  /** Records the decision after a `failed` status if the job is still as observed (state and wamid). */
  applyFailure(observed: JobRecord, decision: Decision, now: number, nextDispatchId?: string): Promise<WebhookWrite>;
  /** Marks an accepted or sent job `dropped`; the state it left, or undefined if it was no longer open. */
  markDropped(jobKey: string, now: number): Promise<JobState | undefined>;
  findByWamid(wamid: string): Promise<string | undefined>;
  /** One page of a shard's index entries whose deadline is in (after, upTo], oldest first. */
  findDeadlines(shard: string, after: number, upTo: number, startKey?: Record<string, unknown>): Promise<{ jobKeys: string[]; next?: Record<string, unknown> }>;
  /** State and campaign of these jobs (eventually consistent, a projection: half a read unit each). */
  candidates(jobKeys: readonly string[]): Promise<OpenCandidate[]>;
  get(jobKey: string): Promise<JobRecord | undefined>;
}

export interface JobStoreOptions {
  tableName: string;
  /** How long job items are kept after their validity ends, for reporting. */
  retentionDays: number;
}

/** Builds an update expression from SET and REMOVE parts. */
class UpdateBuilder {
  readonly names: Record<string, string> = { '#state': 'state' };
  readonly values: Record<string, unknown> = {};
  private readonly sets: string[] = [];
  private readonly removes = new Set<string>();

  set(attribute: string, value: unknown, expression?: string): this {
    const placeholder = `:${attribute}`;
    this.values[placeholder] = value;
    this.sets.push(`${attribute === 'state' ? '#state' : attribute} = ${expression ?? placeholder}`);
    return this;
  }

  /** A value used only inside an expression given to `set`. */
  value(placeholder: string, value: unknown): this {
    this.values[placeholder] = value;
    return this;
  }

  remove(...attributes: string[]): this {
    for (const attribute of attributes) this.removes.add(attribute);
    return this;
  }

  expression(): string {
    const removes = [...this.removes].filter((r) => !this.sets.some((s) => s.startsWith(`${r} =`)));
    return `SET ${this.sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
/** Meta's webhook times are whole seconds: `…:05Z` rather than `…:05.000Z`. */
const isoOfMetaTime = (ms: number) => (ms % 1000 === 0 ? iso(ms).replace('.000Z', 'Z') : iso(ms));

/** DynamoDB adapter for job items. Every write is conditional, so duplicates and stale workers are no-ops. */
export function createJobStore(doc: DynamoDBDocumentClient, options: JobStoreOptions): JobStore {
  const ttlFor = (validUntil: number) => Math.floor(validUntil / 1000) + options.retentionDays * 86_400;
  const table = options.tableName;

  /** The SET/REMOVE parts that record a send-plan decision. */
  function decisionParts(update: UpdateBuilder, jobKey: string, decision: Decision, now: number, nextDispatchId: string | undefined, validUntil?: string): void {
    update.set('state', decision.state);
    switch (decision.state) {
      case JOB_STATES.accepted:
        update
          .set('wamid', decision.wamid)
          .set('messageStatus', decision.messageStatus)
          .set('acceptedAt', iso(now))
          .set('openShard', openShardOf(jobKey))
          .remove('lastErrorCode', 'lastErrorReason', 'nextDispatchId', 'dueAt');
        if (validUntil) update.set('openUntil', Date.parse(validUntil));
        return;
      case JOB_STATES.retryWait:
      case JOB_STATES.deferred:
        if (!nextDispatchId) throw new Error('a waiting job needs the id of the message that will dispatch it');
        update
          .set('nextDispatchId', nextDispatchId)
          .set('dueAt', iso(decision.dueAt))
          .set('attempt', decision.attempt)
          .set('retries', decision.retries)
          .set('lastErrorReason', decision.reason);
        break;
      default:
        update.set('lastErrorReason', decision.reason).remove('nextDispatchId', 'dueAt');
    }
    if ('errorCode' in decision && decision.errorCode !== undefined) update.set('lastErrorCode', decision.errorCode);
  }

  function updateCommand(jobKey: string, condition: string, update: UpdateBuilder, extraValues: Record<string, unknown>) {
    return {
      TableName: table,
      Key: { jobKey },
      ConditionExpression: condition,
      UpdateExpression: update.expression(),
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: { ...update.values, ...extraValues },
    };
  }

  /** A status write that hands back the item either way: no read is needed before or after it. */
  async function webhookWrite(jobKey: string, condition: string, update: UpdateBuilder, extraValues: Record<string, unknown>): Promise<WebhookWrite> {
    try {
      const result = await doc.send(
        new UpdateCommand({ ...updateCommand(jobKey, condition, update, extraValues), ReturnValues: 'ALL_OLD', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return { written: true, before: asRecord(result.Attributes as JobRecord) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = refusedItem<JobRecord>(error);
      return { written: false, current: current && asRecord(current) };
    }
  }

  const store: JobStore = {
    async claim({ job, token, now, createdAt, validUntil, state, reason, deferral }) {
      const jobKey = jobKeyOf(job.campaignId, job.recipient);
      const sending = state === JOB_STATES.sending;
      const stored = storedContractOf(contractOf(job));
      const update = new UpdateBuilder()
        .set('state', state)
        .set('claimToken', token)
        .set('attempt', job.attempt ?? 1)
        .set('campaignId', job.campaignId)
        .set('phoneNumberId', job.phoneNumberId)
        .set('createdAt', iso(createdAt), 'if_not_exists(createdAt, :createdAt)')
        .set('validUntil', iso(validUntil), 'if_not_exists(validUntil, :validUntil)')
        .set('retries', 0, 'if_not_exists(retries, :retries)')
        .set('expiresAt', ttlFor(validUntil), 'if_not_exists(expiresAt, :expiresAt)')
        .remove('nextDispatchId', 'dueAt', ...LEGACY_ATTRIBUTES);
      for (const [attribute, value] of Object.entries(stored)) update.set(attribute, value);
      if (sending) update.set('claimedAt', iso(now)).set('apiCalls', 1, 'if_not_exists(apiCalls, :zero) + :apiCalls').value(':zero', 0);
      else update.set('apiCalls', 0, 'if_not_exists(apiCalls, :apiCalls)').set('lastErrorReason', reason ?? state);
      if (deferral) update.set('nextDispatchId', deferral.nextDispatchId).set('dueAt', iso(deferral.dueAt));
      try {
        const result = await doc.send(
          new UpdateCommand({
            ...updateCommand(jobKey, 'attribute_not_exists(jobKey) OR (#state IN (:waiting1, :waiting2) AND nextDispatchId = :token)', update, {
              ':token': token,
              ':waiting1': WAITING_STATES[0],
              ':waiting2': WAITING_STATES[1],
            }),
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const old = result.Attributes as JobRecord | undefined;
        // The item as it is now, from the old image and what this update wrote.
        const record: JobRecord = {
          ...(old ?? ({} as JobRecord)),
          ...stored,
          jobKey,
          state,
          claimToken: token,
          attempt: job.attempt ?? 1,
          campaignId: job.campaignId,
          recipient: job.recipient,
          phoneNumberId: job.phoneNumberId,
          createdAt: old?.createdAt ?? iso(createdAt),
          validUntil: old?.validUntil ?? iso(validUntil),
          retries: old?.retries ?? 0,
          apiCalls: (old?.apiCalls ?? 0) + (sending ? 1 : 0),
          expiresAt: old?.expiresAt ?? ttlFor(validUntil),
        };
        return old ? { claimed: true, record, previousState: old.state } : { claimed: true, record };
      } catch (error) {
        const existing = error instanceof ConditionalCheckFailedException ? refusedItem<JobRecord>(error) : undefined;
        if (!existing) throw error;
        return { claimed: false, existing: asRecord(existing) };
      }
    },

    async recordDecision(jobKey, token, decision, now, nextDispatchId, validUntil) {
      const update = new UpdateBuilder();
      decisionParts(update, jobKey, decision, now, nextDispatchId, validUntil);
      return writeIfAllowed(doc, new UpdateCommand(updateCommand(jobKey, 'claimToken = :token AND #state = :sending', update, { ':token': token, ':sending': JOB_STATES.sending })));
    },

    markUnknown(jobKey, token, now, reason) {
      return store.recordDecision(jobKey, token, { state: JOB_STATES.unknown, reason }, now);
    },

    async applyProgress(jobKey, wamid, change) {
      const update = new UpdateBuilder().set('state', change.state);
      if (change.sentAt !== undefined) update.set('sentAt', isoOfMetaTime(change.sentAt), 'if_not_exists(sentAt, :sentAt)');
      if (change.deliveredAt !== undefined) {
        update.set('deliveredAt', isoOfMetaTime(change.deliveredAt), 'if_not_exists(deliveredAt, :deliveredAt)').remove('nextDispatchId', 'dueAt', 'lastErrorReason');
      }
      if (change.readAt !== undefined) update.set('readAt', isoOfMetaTime(change.readAt), 'if_not_exists(readAt, :readAt)');
      if (change.route) update.set('route', change.route);
      const from = statesMovedBy(change.state);
      const fromValues = Object.fromEntries(from.map((state, i) => [`:from${i}`, state]));
      const condition = `wamid = :statusWamid AND #state IN (${Object.keys(fromValues).join(', ')})`;
      return webhookWrite(jobKey, condition, update, { ':statusWamid': wamid, ...fromValues });
    },

    async applyFailure(observed, decision, now, nextDispatchId) {
      const update = new UpdateBuilder();
      decisionParts(update, observed.jobKey, decision, now, nextDispatchId, observed.validUntil);
      return webhookWrite(observed.jobKey, '#state = :observedState AND wamid = :observedWamid', update, { ':observedState': observed.state, ':observedWamid': observed.wamid });
    },

    async markDropped(jobKey, now) {
      const update = new UpdateBuilder().set('state', JOB_STATES.dropped).set('lastErrorReason', 'no delivered or read status by the validity deadline');
      try {
        const result = await doc.send(
          new UpdateCommand({
            ...updateCommand(jobKey, '#state IN (:accepted, :sent) AND openUntil < :now', update, { ':accepted': JOB_STATES.accepted, ':sent': JOB_STATES.sent, ':now': now }),
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return result.Attributes?.state as JobState | undefined;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    async findByWamid(wamid) {
      const result = await doc.send(
        new QueryCommand({ TableName: table, IndexName: 'byWamid', KeyConditionExpression: 'wamid = :w', ExpressionAttributeValues: { ':w': wamid }, Limit: 1 }),
      );
      return result.Items?.[0]?.jobKey as string | undefined;
    },

    async findDeadlines(shard, after, upTo, startKey) {
      const result = await doc.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'byOpenDeadline',
          KeyConditionExpression: 'openShard = :s AND openUntil BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':s': shard, ':from': after + 1, ':to': upTo },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      return { jobKeys: (result.Items ?? []).map((item) => item.jobKey as string), ...(result.LastEvaluatedKey ? { next: result.LastEvaluatedKey } : {}) };
    },

    candidates(jobKeys) {
      const projection = { ProjectionExpression: 'jobKey, #state, campaignId', ExpressionAttributeNames: { '#state': 'state' } };
      return batchGetAll<OpenCandidate>(doc, table, jobKeys.map((jobKey) => ({ jobKey })), projection);
    },

    async get(jobKey) {
      const result = await doc.send(new GetCommand({ TableName: table, Key: { jobKey }, ConsistentRead: true }));
      return result.Item ? asRecord(result.Item as JobRecord) : undefined;
    },
  };

  return store;
}

/** The item as the rest of the code sees it: with its recipient. */
function asRecord(item: JobRecord): JobRecord {
  return { ...item, recipient: recipientOfJobKey(item.jobKey) };
}
