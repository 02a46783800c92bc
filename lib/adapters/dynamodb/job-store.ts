import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type ProgressChange, statesMovedBy } from '../../domain/delivery-state.ts';
import { MAX_VALIDITY_SECONDS } from '../../domain/job-contract.ts';
import { JOB_STATES, type JobState, WAITING_STATES } from '../../domain/job-state.ts';
import type { Decision } from '../../domain/send-plan.ts';
import { contractOf } from '../../domain/validate-job.ts';
import { UnstorableJob } from '../../errors.ts';
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
  type RecipientJob,
  type ResendRequest,
  type UnknownJobsQuery,
  type WamidAdoption,
  type WebhookWrite,
} from '../../jobs/job-record.ts';
import type { JobStore } from '../../jobs/job-store.ts';
import { batchGetAll, refusedItem } from './dynamo.ts';
import {
  adoptionUpdate,
  claimedRecord,
  claimUpdate,
  decisionUpdate,
  droppedUpdate,
  iso,
  progressUpdate,
  resendUpdate,
  UNKNOWN_INDEX,
  utcDayOf,
} from './job-updates.ts';
import type { UpdateBuilder } from './update-builder.ts';

export interface JobStoreOptions {
  tableName: string;
  /** How long job items are kept after their validity ends, for reporting. */
  retentionDays: number;
}

interface UpdateParams {
  TableName: string;
  Key: { recipient: string; campaignId: string };
  ConditionExpression: string;
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}
type Outcome = { written: true; old?: JobRecord } | { written: false; current?: JobRecord };

/** A new job, or a waiting one claimed by the message that carries its `nextDispatchId`. */
const CLAIMABLE = 'attribute_not_exists(recipient) OR (#state IN (:waiting1, :waiting2) AND nextDispatchId = :token)';

/**
 * DynamoDB adapter for job items (the item layout is described on `JobRecord`). Every write is
 * conditional, so duplicates and stale workers are no-ops, and every refused write returns the
 * item as it is. The campaign counters follow from these writes through the table's stream
 * (`count-job-changes.ts`), so no write here touches them.
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
    const command = this.updateCommand(jobKeyOf(job.campaignId, job.recipient), CLAIMABLE, update, values);
    const outcome = await this.write(command).catch((error: unknown) => {
      throw refusesTheContent(error)
        ? new UnstorableJob(`the jobs table refused the job's item: ${error.message}`, { cause: error })
        : error;
    });
    if (!outcome.written) {
      if (!outcome.current) throw new Error(`claim of ${jobKeyOf(job.campaignId, job.recipient)} refused without the item`);
      return { claimed: false, existing: outcome.current };
    }
    const record = claimedRecord(request, stored, outcome.old, expiresAt);
    return outcome.old ? { claimed: true, record, previousState: outcome.old.state } : { claimed: true, record };
  }

  async recordDecision({ jobKey, token, decision, now, nextDispatchId }: DecisionWrite): Promise<boolean> {
    const values = { ':token': token, ':sending': JOB_STATES.sending };
    const command = this.updateCommand(
      jobKey,
      'claimToken = :token AND #state = :sending',
      decisionUpdate(decision, now, nextDispatchId),
      values,
    );
    return (await this.write(command)).written;
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
    const command = this.updateCommand(jobKey, '#state IN (:accepted, :sent) AND validUntil < :now', droppedUpdate(), values);
    const outcome = await this.write(command);
    if (!outcome.written) return undefined;
    return outcome.old?.state;
  }

  async findByWamid(wamid: string, recipient: string): Promise<string | undefined> {
    // A recipient has a few jobs (one per campaign still kept): one query page reads them all.
    const pages = this.itemsOfRecipient(recipient, {
      FilterExpression: 'wamid = :w',
      ProjectionExpression: 'campaignId, aliasOf',
      ExpressionAttributeValues: { ':w': wamid },
    });
    for await (const items of pages) {
      const found = items[0];
      if (found?.aliasOf) return jobKeyOf((found.campaignId as string).slice(ALIAS_PREFIX.length), found.aliasOf as string);
      if (found) return jobKeyOf(found.campaignId as string, recipient);
    }
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

  async jobsOfRecipient(recipient: string): Promise<RecipientJob[]> {
    const jobs: RecipientJob[] = [];
    const pages = this.itemsOfRecipient(recipient, {
      ProjectionExpression: 'campaignId, #state, claimToken, claimedAt',
      ExpressionAttributeNames: { '#state': 'state' },
    });
    for await (const items of pages) {
      for (const item of items as Array<Omit<RecipientJob, 'jobKey'> & { campaignId: string }>) {
        if (item.campaignId.startsWith(ALIAS_PREFIX)) continue;
        const { campaignId, ...job } = item;
        jobs.push({ ...job, jobKey: jobKeyOf(campaignId, recipient) });
      }
    }
    return jobs;
  }

  /** The recipient's items (jobs and aliases), a query page at a time. */
  private async *itemsOfRecipient(
    recipient: string,
    query: Pick<QueryCommandInput, 'FilterExpression' | 'ProjectionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): AsyncGenerator<Record<string, unknown>[]> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: 'recipient = :r',
          ...query,
          ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ':r': recipient },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      yield page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  adoptWamid(adoption: WamidAdoption): Promise<WebhookWrite> {
    const values = { ':unknown': JOB_STATES.unknown, ':token': adoption.token };
    return this.webhookWrite(adoption.jobKey, '#state = :unknown AND claimToken = :token', adoptionUpdate(adoption), values);
  }

  async unknownJobs(query: UnknownJobsQuery): Promise<JobRecord[]> {
    const keys: Array<{ recipient: string; campaignId: string }> = [];
    for (const day of unknownDaysUpTo(query.now)) keys.push(...(await this.unknownKeysOf(day, query)));
    // Read again, strongly consistent, 100 at a time: the index is eventually consistent.
    const distinct = [...new Set(keys.map((key) => jobKeyOf(key.campaignId, key.recipient)))].map(itemKeyOf);
    const jobs = await batchGetAll<JobRecord>(this.doc, this.options.tableName, distinct, { ConsistentRead: true });
    // Settled since the index was read: not unknown any more.
    return jobs.filter((job) => job[UNKNOWN_INDEX.day] !== undefined).map(asRecord);
  }

  private async unknownKeysOf(day: string, query: UnknownJobsQuery): Promise<Array<{ recipient: string; campaignId: string }>> {
    const keys: Array<{ recipient: string; campaignId: string }> = [];
    const before = query.unknownBefore === undefined ? '' : ' AND #since < :before';
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.options.tableName,
          IndexName: UNKNOWN_INDEX.name,
          KeyConditionExpression: `#day = :day${before}`,
          ...(query.campaignId === undefined ? {} : { FilterExpression: 'campaignId = :campaign' }),
          ExpressionAttributeNames: { '#day': UNKNOWN_INDEX.day, ...(before ? { '#since': UNKNOWN_INDEX.since } : {}) },
          ExpressionAttributeValues: {
            ':day': day,
            ...(query.unknownBefore === undefined ? {} : { ':before': iso(query.unknownBefore) }),
            ...(query.campaignId === undefined ? {} : { ':campaign': query.campaignId }),
          },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      keys.push(...((page.Items ?? []) as Array<{ recipient: string; campaignId: string }>));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return keys;
  }

  async markForResend(request: ResendRequest): Promise<boolean> {
    const values = {
      ':unknown': JOB_STATES.unknown,
      ':token': request.token,
      ':now': iso(request.now),
      ':claimedBefore': iso(request.claimedBefore),
    };
    const condition =
      '#state = :unknown AND claimToken = :token AND attribute_not_exists(resentAt) AND validUntil > :now AND claimedAt < :claimedBefore';
    return (await this.write(this.updateCommand(request.jobKey, condition, resendUpdate(request), values))).written;
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

  private updateCommand(jobKey: string, condition: string, update: UpdateBuilder, extraValues: Record<string, unknown>): UpdateParams {
    return {
      TableName: this.options.tableName,
      Key: itemKeyOf(jobKey),
      ConditionExpression: condition,
      UpdateExpression: update.expression(),
      ExpressionAttributeNames: update.names,
      ExpressionAttributeValues: { ...update.values, ...extraValues },
    };
  }

  /** A status write that hands back the item either way: as it was before, or as it is after a refusal. */
  private async webhookWrite(
    jobKey: string,
    condition: string,
    update: UpdateBuilder,
    extraValues: Record<string, unknown>,
  ): Promise<WebhookWrite> {
    const outcome = await this.write(this.updateCommand(jobKey, condition, update, extraValues));
    if (!outcome.written) return { written: false, current: outcome.current };
    return { written: true, before: outcome.old ?? ({ ...itemKeyOf(jobKey), jobKey } as JobRecord) };
  }

  /** One conditional job write, handing back the old item; a refusal hands back the item as it is. */
  private async write(command: UpdateParams): Promise<Outcome> {
    try {
      const result = await this.doc.send(
        new UpdateCommand({ ...command, ReturnValues: 'ALL_OLD', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      const old = result.Attributes as JobRecord | undefined;
      return old ? { written: true, old: asRecord(old) } : { written: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = refusedItem<JobRecord>(error);
      return { written: false, ...(current ? { current: asRecord(current) } : {}) };
    }
  }
}

/**
 * The UTC days, newest first, on which a job that can still be re-sent may have become `unknown`:
 * none older than the longest validity (and a day for the boundary).
 */
function unknownDaysUpTo(now: number): string[] {
  const days = Math.ceil(MAX_VALIDITY_SECONDS / 86_400) + 1;
  return Array.from({ length: days }, (_, back) => utcDayOf(now - back * 86_400_000));
}

/** The job store on DynamoDB. */
export function createJobStore(doc: DynamoDBDocumentClient, options: JobStoreOptions): JobStore {
  return new DynamoJobStore(doc, options);
}

/** The item as the rest of the code sees it: with its job key. */
function asRecord(item: Omit<JobRecord, 'jobKey'>): JobRecord {
  return { ...item, jobKey: jobKeyOf(item.campaignId, item.recipient) };
}

/**
 * DynamoDB's answer to an item it cannot hold as written (over 400 KB, or nested deeper than 32
 * levels), as a ValidationException about the item itself (not about the request's expressions)
 * or the document client's refusal to marshal a
 * number it cannot keep exactly.
 */
function refusesTheContent(error: unknown): error is Error {
  const aboutTheItem = (message: string | undefined) =>
    /item size (to update )?has exceeded|nesting levels have exceeded/i.test(message ?? '');
  if (!(error instanceof Error)) return false;
  if (/Number\.(MAX|MIN)_SAFE_INTEGER|Special numeric value/.test(error.message)) return true;
  return error.name === 'ValidationException' && aboutTheItem(error.message);
}
