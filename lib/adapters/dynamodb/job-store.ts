import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type ProgressChange, statesMovedBy } from '../../domain/delivery-state.ts';
import { JOB_STATES, type JobState, WAITING_STATES } from '../../domain/job-state.ts';
import type { Decision } from '../../domain/send-plan.ts';
import { contractOf } from '../../domain/validate-job.ts';
import { storedContractOf } from '../../jobs/job-item.ts';
import {
  ALIAS_PREFIX,
  type ClaimRequest,
  type ClaimResult,
  type DecisionWrite,
  itemKeyOf,
  type JobRecord,
  jobKeyOf,
  type OpenCandidate,
  type WebhookWrite,
} from '../../jobs/job-record.ts';
import type { JobStore } from '../../jobs/job-store.ts';
import { batchGetAll, refusedItem, writeIfAllowed } from './dynamo.ts';
import { claimedRecord, claimUpdate, decisionUpdate, droppedUpdate, iso, progressUpdate } from './job-updates.ts';
import type { UpdateBuilder } from './update-builder.ts';

export interface JobStoreOptions {
  tableName: string;
  /** How long job items are kept after their validity ends, for reporting. */
  retentionDays: number;
}

/** A new job, or a waiting one claimed by the message that carries its `nextDispatchId`. */
const CLAIMABLE = 'attribute_not_exists(recipient) OR (#state IN (:waiting1, :waiting2) AND nextDispatchId = :token)';

/**
 * DynamoDB adapter for job items (the item layout is described on `JobRecord`). Every write is
 * conditional, so duplicates and stale workers are no-ops, and every refused write returns the
 * item as it is, so no read is needed before or after it.
 */
export class DynamoJobStore implements JobStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly options: JobStoreOptions;

  constructor(doc: DynamoDBDocumentClient, options: JobStoreOptions) {
    this.doc = doc;
    this.options = options;
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const { job, token } = request;
    const stored = storedContractOf(contractOf(job));
    const expiresAt = this.expiresAt(request.validUntil);
    const values = { ':token': token, ':waiting1': WAITING_STATES[0], ':waiting2': WAITING_STATES[1] };
    const update = claimUpdate(request, stored, expiresAt);
    try {
      const command = this.updateCommand(jobKeyOf(job.campaignId, job.recipient), CLAIMABLE, update, values);
      const result = await this.doc.send(
        new UpdateCommand({ ...command, ReturnValues: 'ALL_OLD', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      const old = result.Attributes as JobRecord | undefined;
      const record = claimedRecord(request, stored, old, expiresAt);
      return old ? { claimed: true, record, previousState: old.state } : { claimed: true, record };
    } catch (error) {
      const existing = error instanceof ConditionalCheckFailedException ? refusedItem<JobRecord>(error) : undefined;
      if (!existing) throw error;
      return { claimed: false, existing: asRecord(existing) };
    }
  }

  recordDecision({ jobKey, token, decision, now, nextDispatchId }: DecisionWrite): Promise<boolean> {
    const values = { ':token': token, ':sending': JOB_STATES.sending };
    const command = this.updateCommand(
      jobKey,
      'claimToken = :token AND #state = :sending',
      decisionUpdate(decision, now, nextDispatchId),
      values,
    );
    return writeIfAllowed(this.doc, new UpdateCommand(command));
  }

  markUnknown(jobKey: string, token: string, now: number, reason: string): Promise<boolean> {
    return this.recordDecision({ jobKey, token, decision: { state: JOB_STATES.unknown, reason }, now });
  }

  applyProgress(jobKey: string, wamid: string, change: ProgressChange): Promise<WebhookWrite> {
    const fromValues = Object.fromEntries(statesMovedBy(change.state).map((state, i) => [`:from${i}`, state]));
    const condition = `wamid = :statusWamid AND #state IN (${Object.keys(fromValues).join(', ')})`;
    return this.webhookWrite(jobKey, condition, progressUpdate(change), { ':statusWamid': wamid, ...fromValues });
  }

  applyFailure(observed: JobRecord, decision: Decision, now: number, nextDispatchId?: string): Promise<WebhookWrite> {
    const values = { ':observedState': observed.state, ':observedWamid': observed.wamid };
    return this.webhookWrite(
      observed.jobKey,
      '#state = :observedState AND wamid = :observedWamid',
      decisionUpdate(decision, now, nextDispatchId),
      values,
    );
  }

  async markDropped(jobKey: string, now: number): Promise<JobState | undefined> {
    const values = { ':accepted': JOB_STATES.accepted, ':sent': JOB_STATES.sent, ':now': iso(now) };
    try {
      const command = this.updateCommand(jobKey, '#state IN (:accepted, :sent) AND validUntil < :now', droppedUpdate(), values);
      const result = await this.doc.send(new UpdateCommand({ ...command, ReturnValues: 'UPDATED_OLD' }));
      return result.Attributes?.state as JobState | undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async findByWamid(wamid: string, recipient: string): Promise<string | undefined> {
    // A recipient has a few jobs (one per campaign still kept): one query page reads them all.
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
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
  }

  async recordAlias(job: Pick<JobRecord, 'jobKey' | 'expiresAt'>, waRecipient: string, wamid: string): Promise<void> {
    const { recipient, campaignId } = itemKeyOf(job.jobKey);
    const item = {
      recipient: waRecipient,
      campaignId: `${ALIAS_PREFIX}${campaignId}`,
      aliasOf: recipient,
      wamid,
      expiresAt: job.expiresAt,
    };
    await this.doc.send(new PutCommand({ TableName: this.options.tableName, Item: item }));
  }

  async dialledNumberOf(waRecipient: string): Promise<string | undefined> {
    const result = await this.doc.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: 'recipient = :r AND begins_with(campaignId, :alias)',
        ProjectionExpression: 'aliasOf',
        ExpressionAttributeValues: { ':r': waRecipient, ':alias': ALIAS_PREFIX },
        Limit: 1,
      }),
    );
    return result.Items?.[0]?.aliasOf as string | undefined;
  }

  async candidates(jobKeys: readonly string[]): Promise<OpenCandidate[]> {
    const projection = { ProjectionExpression: 'recipient, campaignId, #state', ExpressionAttributeNames: { '#state': 'state' } };
    const keys = [...new Set(jobKeys)].map(itemKeyOf);
    const items = await batchGetAll<{ recipient: string; campaignId: string; state: JobState }>(
      this.doc,
      this.options.tableName,
      keys,
      projection,
    );
    return items.map(({ recipient, campaignId, state }) => ({ jobKey: jobKeyOf(campaignId, recipient), campaignId, state }));
  }

  async get(jobKey: string): Promise<JobRecord | undefined> {
    const result = await this.doc.send(new GetCommand({ TableName: this.options.tableName, Key: itemKeyOf(jobKey), ConsistentRead: true }));
    return result.Item ? asRecord(result.Item as JobRecord) : undefined;
  }

  /** TTL (epoch seconds): job items hold phone numbers, so they expire after the retention period. */
  private expiresAt(validUntil: number): number {
    return Math.floor(validUntil / 1000) + this.options.retentionDays * 86_400;
  }

  private updateCommand(jobKey: string, condition: string, update: UpdateBuilder, extraValues: Record<string, unknown>) {
    return {
      TableName: this.options.tableName,
      Key: itemKeyOf(jobKey),
      ConditionExpression: condition,
      UpdateExpression: update.expression(),
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: { ...update.values, ...extraValues },
    };
  }

  /** A status write that hands back the item either way: no read is needed before or after it. */
  private async webhookWrite(
    jobKey: string,
    condition: string,
    update: UpdateBuilder,
    extraValues: Record<string, unknown>,
  ): Promise<WebhookWrite> {
    try {
      const command = this.updateCommand(jobKey, condition, update, extraValues);
      const result = await this.doc.send(
        new UpdateCommand({ ...command, ReturnValues: 'ALL_OLD', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return { written: true, before: asRecord(result.Attributes as JobRecord) };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = refusedItem<JobRecord>(error);
      return { written: false, current: current && asRecord(current) };
    }
  }
}

/** The job store on DynamoDB. */
export function createJobStore(doc: DynamoDBDocumentClient, options: JobStoreOptions): JobStore {
  return new DynamoJobStore(doc, options);
}

/** The item as the rest of the code sees it: with its job key. */
function asRecord(item: Omit<JobRecord, 'jobKey'>): JobRecord {
  return { ...item, jobKey: jobKeyOf(item.campaignId, item.recipient) };
}
