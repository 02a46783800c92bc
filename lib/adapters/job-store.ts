import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Route } from '../domain/delivery-state.ts';
import { type JobState, JOB_STATES, WAITING_STATES } from '../domain/job-state.ts';
import type { SendJob } from '../domain/job-contract.ts';
import type { Decision } from '../domain/send-plan.ts';
import { contractOf, type ValidJob } from '../domain/validate-job.ts';

/** The job item as stored. Times are ISO strings so operators can read them in the console. */
export interface JobRecord {
  jobKey: string;
  campaignId: string;
  recipient: string;
  phoneNumberId: string;
  templateName: string;
  templateLanguage: string;
  state: JobState;
  attempt: number;
  retries: number;
  /** The job as enqueued (JSON), so a webhook-driven retry can re-dispatch it. */
  payload: string;
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
  acceptedAt?: string;
  /** Set once, at the first acceptance of any attempt: the campaign counts unique accepted recipients. */
  firstAcceptedAt?: string;
  sentAt?: string;
  deliveredAt?: string;
  readAt?: string;
  /** `marketing_messages_api`, or `cloud_api_fallback` when Meta routed through the Cloud API. */
  route?: Route;
  lastErrorCode?: number;
  lastErrorReason?: string;
  /** MM API calls made for this job: more than one only after a 131049 (one per attempt) or a transient error. */
  apiCalls: number;
  /** While open (accepted/sent): a shard and the validity deadline (ms), for the dropped sweep's index. */
  openShard?: string;
  openUntil?: number;
  updatedAt: string;
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

/** A webhook's verdict on an accepted message: progress, or a decision after a failure. */
export type WebhookUpdate =
  | { kind: 'progress'; state: typeof JOB_STATES.sent | typeof JOB_STATES.delivered | typeof JOB_STATES.read; at: number; route?: Route }
  | { kind: 'decision'; decision: Decision; nextDispatchId?: string }
  | { kind: 'dropped' };

export function jobKeyOf(campaignId: string, recipient: string): string {
  return `${campaignId}#${recipient}`;
}

/** Number of `openShard` values: enough partitions for the sweep's index at 1,000 accepts/s. */
export const OPEN_SHARDS = 16;

export interface JobStore {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Writes the outcome of a claimed send. False when the claim was lost meanwhile. `validUntil`
   * (the item's, ISO) opens an accepted job for the dropped sweep, keyed by its deadline.
   */
  recordDecision(jobKey: string, token: string, decision: Decision, now: number, nextDispatchId?: string, validUntil?: string): Promise<boolean>;
  /** A claim whose worker died mid-send: the request may have reached Meta. */
  markUnknown(jobKey: string, token: string, now: number, reason: string): Promise<boolean>;
  /** Applies a webhook verdict if the job is still as observed (state and wamid). False otherwise. */
  applyWebhookUpdate(observed: JobRecord, update: WebhookUpdate, now: number): Promise<boolean>;
  findByWamid(wamid: string): Promise<string | undefined>;
  /** Open jobs whose validity ended before `before` (epoch ms), one shard at a time. */
  findOpenPastDeadline(shard: string, before: number, limit: number): Promise<string[]>;
  get(jobKey: string): Promise<JobRecord | undefined>;
}

export interface JobStoreOptions {
  tableName: string;
  /** How long job items are kept after their validity ends, for reporting. */
  retentionDays: number;
  random?: () => number;
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

/** DynamoDB adapter for job items. Every write is conditional, so duplicates and stale workers are no-ops. */
export function createJobStore(doc: DynamoDBDocumentClient, options: JobStoreOptions): JobStore {
  const iso = (ms: number) => new Date(ms).toISOString();
  const ttlFor = (validUntil: number) => Math.floor(validUntil / 1000) + options.retentionDays * 86_400;
  const random = options.random ?? Math.random;
  const table = options.tableName;

  /** The SET/REMOVE parts that record a send-plan decision. */
  function decisionParts(update: UpdateBuilder, decision: Decision, now: number, nextDispatchId: string | undefined, validUntil?: string): void {
    update.set('state', decision.state).set('updatedAt', iso(now));
    switch (decision.state) {
      case JOB_STATES.accepted:
        update
          .set('wamid', decision.wamid)
          .set('messageStatus', decision.messageStatus)
          .set('acceptedAt', iso(now))
          .set('firstAcceptedAt', iso(now), 'if_not_exists(firstAcceptedAt, :firstAcceptedAt)')
          .set('openShard', String(Math.floor(random() * OPEN_SHARDS)))
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
          .set('lastErrorReason', decision.reason)
          .remove('openShard', 'openUntil');
        break;
      default:
        update.set('lastErrorReason', decision.reason).remove('openShard', 'openUntil', 'nextDispatchId', 'dueAt');
    }
    if ('errorCode' in decision && decision.errorCode !== undefined) update.set('lastErrorCode', decision.errorCode);
  }

  async function conditionalUpdate(jobKey: string, condition: string, update: UpdateBuilder, extraValues: Record<string, unknown>): Promise<boolean> {
    try {
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { jobKey },
          ConditionExpression: condition,
          UpdateExpression: update.expression(),
          ExpressionAttributeNames: update.names,
          ExpressionAttributeValues: { ...update.values, ...extraValues },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  const store: JobStore = {
    async claim({ job, token, now, createdAt, validUntil, state, reason, deferral }) {
      const jobKey = jobKeyOf(job.campaignId, job.recipient);
      const sending = state === JOB_STATES.sending;
      const update = new UpdateBuilder()
        .set('state', state)
        .set('claimToken', token)
        .set('attempt', job.attempt ?? 1)
        .set('updatedAt', iso(now))
        .set('campaignId', job.campaignId)
        .set('recipient', job.recipient)
        .set('phoneNumberId', job.phoneNumberId)
        .set('templateName', job.template.name)
        .set('templateLanguage', job.template.language.code)
        .set('payload', JSON.stringify(payloadOf(contractOf(job))))
        .set('createdAt', iso(createdAt), 'if_not_exists(createdAt, :createdAt)')
        .set('validUntil', iso(validUntil), 'if_not_exists(validUntil, :validUntil)')
        .set('retries', 0, 'if_not_exists(retries, :retries)')
        .set('expiresAt', ttlFor(validUntil), 'if_not_exists(expiresAt, :expiresAt)')
        .remove('nextDispatchId', 'dueAt');
      if (sending) update.set('claimedAt', iso(now)).set('apiCalls', 1, 'if_not_exists(apiCalls, :zero) + :apiCalls').value(':zero', 0);
      else update.set('apiCalls', 0, 'if_not_exists(apiCalls, :apiCalls)').set('lastErrorReason', reason ?? state);
      if (deferral) update.set('nextDispatchId', deferral.nextDispatchId).set('dueAt', iso(deferral.dueAt));
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: { jobKey },
            ConditionExpression: 'attribute_not_exists(jobKey) OR (#state IN (:waiting1, :waiting2) AND nextDispatchId = :token)',
            UpdateExpression: update.expression(),
            ExpressionAttributeNames: update.names,
            ExpressionAttributeValues: { ...update.values, ':token': token, ':waiting1': WAITING_STATES[0], ':waiting2': WAITING_STATES[1] },
            ReturnValues: 'ALL_OLD',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const old = result.Attributes as JobRecord | undefined;
        // The item as it is now, from the old image and what this update wrote.
        const record: JobRecord = {
          ...(old ?? ({} as JobRecord)),
          jobKey,
          state,
          claimToken: token,
          attempt: job.attempt ?? 1,
          campaignId: job.campaignId,
          recipient: job.recipient,
          phoneNumberId: job.phoneNumberId,
          templateName: job.template.name,
          templateLanguage: job.template.language.code,
          payload: update.values[':payload'] as string,
          updatedAt: iso(now),
          createdAt: old?.createdAt ?? iso(createdAt),
          validUntil: old?.validUntil ?? iso(validUntil),
          retries: old?.retries ?? 0,
          apiCalls: (old?.apiCalls ?? 0) + (sending ? 1 : 0),
          expiresAt: old?.expiresAt ?? ttlFor(validUntil),
        };
        return old ? { claimed: true, record, previousState: old.state } : { claimed: true, record };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException && error.Item) {
          return { claimed: false, existing: unmarshallOld(error.Item) };
        }
        throw error;
      }
    },

    async recordDecision(jobKey, token, decision, now, nextDispatchId, validUntil) {
      const update = new UpdateBuilder();
      decisionParts(update, decision, now, nextDispatchId, validUntil);
      return conditionalUpdate(jobKey, 'claimToken = :token AND #state = :sending', update, { ':token': token, ':sending': JOB_STATES.sending });
    },

    markUnknown(jobKey, token, now, reason) {
      return store.recordDecision(jobKey, token, { state: JOB_STATES.unknown, reason }, now);
    },

    async applyWebhookUpdate(observed, change, now) {
      const update = new UpdateBuilder();
      if (change.kind === 'progress') {
        update.set('state', change.state).set('updatedAt', iso(now));
        const at = iso(change.at);
        if (change.state === JOB_STATES.sent) update.set('sentAt', at, 'if_not_exists(sentAt, :sentAt)');
        if (change.state === JOB_STATES.delivered || change.state === JOB_STATES.read) {
          update.set('deliveredAt', at, 'if_not_exists(deliveredAt, :deliveredAt)').remove('openShard', 'openUntil', 'nextDispatchId', 'dueAt', 'lastErrorReason');
        }
        if (change.state === JOB_STATES.read) update.set('readAt', at, 'if_not_exists(readAt, :readAt)');
        if (change.route) update.set('route', change.route);
      } else if (change.kind === 'dropped') {
        update.set('state', JOB_STATES.dropped).set('updatedAt', iso(now)).set('lastErrorReason', 'no delivered or read status by the validity deadline').remove('openShard', 'openUntil');
      } else {
        decisionParts(update, change.decision, now, change.nextDispatchId, observed.validUntil);
      }
      const condition = observed.wamid ? '#state = :observedState AND wamid = :observedWamid' : '#state = :observedState';
      return conditionalUpdate(observed.jobKey, condition, update, {
        ':observedState': observed.state,
        ...(observed.wamid ? { ':observedWamid': observed.wamid } : {}),
      });
    },

    async findByWamid(wamid) {
      const result = await doc.send(
        new QueryCommand({ TableName: table, IndexName: 'byWamid', KeyConditionExpression: 'wamid = :w', ExpressionAttributeValues: { ':w': wamid }, Limit: 1 }),
      );
      return result.Items?.[0]?.jobKey as string | undefined;
    },

    async findOpenPastDeadline(shard, before, limit) {
      const result = await doc.send(
        new QueryCommand({
          TableName: table,
          IndexName: 'byOpenDeadline',
          KeyConditionExpression: 'openShard = :s AND openUntil < :before',
          ExpressionAttributeValues: { ':s': shard, ':before': before },
          Limit: limit,
        }),
      );
      return (result.Items ?? []).map((item) => item.jobKey as string);
    },

    async get(jobKey) {
      const result = await doc.send(new GetCommand({ TableName: table, Key: { jobKey }, ConsistentRead: true }));
      return result.Item as JobRecord | undefined;
    },
  };

  return store;
}

/** The contract as stored in `payload`: without the fields the sender sets per dispatch. */
function payloadOf(job: SendJob): Omit<SendJob, 'attempt' | 'dispatchId'> {
  const { attempt: _attempt, dispatchId: _dispatchId, ...rest } = job;
  return rest;
}

/** `ReturnValuesOnConditionCheckFailure` hands back the raw attribute-value map, even through the document client. */
function unmarshallOld(item: Record<string, unknown>): JobRecord {
  const first = Object.values(item)[0] as Record<string, unknown> | undefined;
  const isRaw = first !== undefined && typeof first === 'object' && first !== null && ['S', 'N', 'BOOL', 'M', 'L', 'NULL'].some((k) => k in first);
  return (isRaw ? unmarshall(item as never) : item) as JobRecord;
}
