import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ProgressChange, type Route, statesMovedBy } from '../../domain/delivery-state.ts';
import { type JobState, JOB_STATES, WAITING_STATES } from '../../domain/job-state.ts';
import type { Decision } from '../../domain/send-plan.ts';
import { contractOf, type ValidJob } from '../../domain/validate-job.ts';
import { batchGetAll, refusedItem, writeIfAllowed } from './dynamo.ts';
import { storedContractOf } from '../../jobs/job-item.ts';
import { ALIAS_PREFIX, type ClaimRequest, itemKeyOf, type JobRecord, jobKeyOf, type WebhookWrite } from '../../jobs/job-record.ts';
import type { JobStore } from '../../jobs/job-store.ts';

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
  function decisionParts(update: UpdateBuilder, decision: Decision, now: number, nextDispatchId: string | undefined): void {
    update.set('state', decision.state);
    switch (decision.state) {
      case JOB_STATES.accepted:
        update
          .set('wamid', decision.wamid)
          .set('messageStatus', decision.messageStatus)
          .set('acceptedAt', iso(now))
          .remove('lastErrorCode', 'lastErrorReason', 'nextDispatchId', 'dueAt');
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
      Key: itemKeyOf(jobKey),
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
        .set('phoneNumberId', job.phoneNumberId)
        .set('createdAt', iso(createdAt), 'if_not_exists(createdAt, :createdAt)')
        .set('validUntil', iso(validUntil), 'if_not_exists(validUntil, :validUntil)')
        .set('retries', 0, 'if_not_exists(retries, :retries)')
        .set('expiresAt', ttlFor(validUntil), 'if_not_exists(expiresAt, :expiresAt)')
        .remove('nextDispatchId', 'dueAt');
      for (const [attribute, value] of Object.entries(stored)) update.set(attribute, value);
      if (sending) update.set('claimedAt', iso(now)).set('apiCalls', 1, 'if_not_exists(apiCalls, :zero) + :apiCalls').value(':zero', 0);
      else update.set('apiCalls', 0, 'if_not_exists(apiCalls, :apiCalls)').set('lastErrorReason', reason ?? state);
      if (deferral) update.set('nextDispatchId', deferral.nextDispatchId).set('dueAt', iso(deferral.dueAt));
      try {
        const result = await doc.send(
          new UpdateCommand({
            ...updateCommand(jobKey, 'attribute_not_exists(recipient) OR (#state IN (:waiting1, :waiting2) AND nextDispatchId = :token)', update, {
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

    async recordDecision(jobKey, token, decision, now, nextDispatchId) {
      const update = new UpdateBuilder();
      decisionParts(update, decision, now, nextDispatchId);
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
      decisionParts(update, decision, now, nextDispatchId);
      return webhookWrite(observed.jobKey, '#state = :observedState AND wamid = :observedWamid', update, { ':observedState': observed.state, ':observedWamid': observed.wamid });
    },

    async markDropped(jobKey, now) {
      const update = new UpdateBuilder().set('state', JOB_STATES.dropped).set('lastErrorReason', 'no delivered or read status by the validity deadline');
      try {
        const result = await doc.send(
          new UpdateCommand({
            ...updateCommand(jobKey, '#state IN (:accepted, :sent) AND validUntil < :now', update, { ':accepted': JOB_STATES.accepted, ':sent': JOB_STATES.sent, ':now': iso(now) }),
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return result.Attributes?.state as JobState | undefined;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return undefined;
        throw error;
      }
    },

    async findByWamid(wamid, recipient) {
      // A recipient has a few jobs (one per campaign still kept): one query page reads them all.
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'recipient = :r',
            FilterExpression: 'wamid = :w',
            ProjectionExpression: 'campaignId, aliasOf',
            ExpressionAttributeValues: { ':r': recipient, ':w': wamid },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        const found = page.Items?.[0];
        if (found?.aliasOf) return jobKeyOf((found.campaignId as string).slice(ALIAS_PREFIX.length), found.aliasOf as string);
        if (found) return jobKeyOf(found.campaignId as string, recipient);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return undefined;
    },

    async recordAlias(job, waRecipient, wamid) {
      const { recipient, campaignId } = itemKeyOf(job.jobKey);
      await doc.send(
        new PutCommand({ TableName: table, Item: { recipient: waRecipient, campaignId: `${ALIAS_PREFIX}${campaignId}`, aliasOf: recipient, wamid, expiresAt: job.expiresAt } }),
      );
    },

    async dialledNumberOf(waRecipient) {
      const result = await doc.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'recipient = :r AND begins_with(campaignId, :alias)',
          ProjectionExpression: 'aliasOf',
          ExpressionAttributeValues: { ':r': waRecipient, ':alias': ALIAS_PREFIX },
          Limit: 1,
        }),
      );
      return result.Items?.[0]?.aliasOf as string | undefined;
    },

    async candidates(jobKeys) {
      const projection = { ProjectionExpression: 'recipient, campaignId, #state', ExpressionAttributeNames: { '#state': 'state' } };
      const items = await batchGetAll<{ recipient: string; campaignId: string; state: JobState }>(doc, table, [...new Set(jobKeys)].map(itemKeyOf), projection);
      return items.map(({ recipient, campaignId, state }) => ({ jobKey: jobKeyOf(campaignId, recipient), campaignId, state }));
    },

    async get(jobKey) {
      const result = await doc.send(new GetCommand({ TableName: table, Key: itemKeyOf(jobKey), ConsistentRead: true }));
      return result.Item ? asRecord(result.Item as JobRecord) : undefined;
    },
  };

  return store;
}

/** The item as the rest of the code sees it: with its job key. */
function asRecord(item: Omit<JobRecord, 'jobKey'>): JobRecord {
  return { ...item, jobKey: jobKeyOf(item.campaignId, item.recipient) };
}
