import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
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
import type { CountedChange, JobStore } from '../../jobs/job-store.ts';
import { counterShardUpdate } from './campaign-counters.ts';
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
  /** Where a counted write adds its campaign counter deltas, in the same transaction. */
  counters?: { tableName: string; shards: number; random?: () => number };
}

/** A transaction cancelled for these reasons is tried again (on another counter shard). */
const PASSING_CANCELLATIONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);
const TRANSACTION_TRIES = 5;

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
 * item as it is. A write with counter deltas is one transaction with its counter shard.
 */
export class DynamoJobStore implements JobStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly options: JobStoreOptions;

  constructor(doc: DynamoDBDocumentClient, options: JobStoreOptions) {
    this.doc = doc;
    this.options = options;
  }

  async claim(request: ClaimRequest, counted?: CountedChange): Promise<ClaimResult> {
    const { job, token } = request;
    const stored = storedContractOf(contractOf(job));
    const expiresAt = this.expiresAt(request.validUntil);
    const values = { ':token': token, ':waiting1': WAITING_STATES[0], ':waiting2': WAITING_STATES[1] };
    const update = claimUpdate(request, stored, expiresAt);
    const command = this.updateCommand(jobKeyOf(job.campaignId, job.recipient), CLAIMABLE, update, values);
    const outcome = await this.write(command, counted).catch((error: unknown) => {
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

  async recordDecision({ jobKey, token, decision, now, nextDispatchId }: DecisionWrite, counted?: CountedChange): Promise<boolean> {
    const values = { ':token': token, ':sending': JOB_STATES.sending };
    const command = this.updateCommand(
      jobKey,
      'claimToken = :token AND #state = :sending',
      decisionUpdate(decision, now, nextDispatchId),
      values,
    );
    return (await this.write(command, counted)).written;
  }

  markUnknown(jobKey: string, token: string, now: number, reason: string, counted?: CountedChange): Promise<boolean> {
    return this.recordDecision({ jobKey, token, decision: { state: JOB_STATES.unknown, reason }, now }, counted);
  }

  applyProgress(jobKey: string, wamid: string, change: ProgressChange, counted?: CountedChange): Promise<WebhookWrite> {
    const fromValues = Object.fromEntries(statesMovedBy(change.state).map((state, i) => [`:from${i}`, state]));
    const condition = `wamid = :statusWamid AND #state IN (${Object.keys(fromValues).join(', ')})`;
    return this.webhookWrite(jobKey, condition, progressUpdate(change), { ':statusWamid': wamid, ...fromValues }, counted);
  }

  applyFailure(
    observed: JobRecord,
    decision: Decision,
    now: number,
    nextDispatchId?: string,
    counted?: CountedChange,
  ): Promise<WebhookWrite> {
    const values = { ':observedState': observed.state, ':observedWamid': observed.wamid };
    return this.webhookWrite(
      observed.jobKey,
      '#state = :observedState AND wamid = :observedWamid',
      decisionUpdate(decision, now, nextDispatchId),
      values,
      counted,
    );
  }

  async markDropped(jobKey: string, now: number, counted?: CountedChange): Promise<JobState | undefined> {
    const values = { ':accepted': JOB_STATES.accepted, ':sent': JOB_STATES.sent, ':now': iso(now) };
    const command = this.updateCommand(jobKey, '#state IN (:accepted, :sent) AND validUntil < :now', droppedUpdate(), values);
    const outcome = await this.write(command, counted);
    if (!outcome.written) return undefined;
    return outcome.old?.state ?? (counted?.observedState || undefined);
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

  adoptWamid(adoption: WamidAdoption, counted?: CountedChange): Promise<WebhookWrite> {
    const values = { ':unknown': JOB_STATES.unknown, ':token': adoption.token };
    return this.webhookWrite(adoption.jobKey, '#state = :unknown AND claimToken = :token', adoptionUpdate(adoption), values, counted);
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

  async markForResend(request: ResendRequest, counted?: CountedChange): Promise<boolean> {
    const values = {
      ':unknown': JOB_STATES.unknown,
      ':token': request.token,
      ':now': iso(request.now),
      ':claimedBefore': iso(request.claimedBefore),
    };
    const condition =
      '#state = :unknown AND claimToken = :token AND attribute_not_exists(resentAt) AND validUntil > :now AND claimedAt < :claimedBefore';
    return (await this.write(this.updateCommand(request.jobKey, condition, resendUpdate(request), values), counted)).written;
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

  /**
   * A status write that hands back the item either way (a counted write's caller knows the
   * item before it: it computed the deltas from it).
   */
  private async webhookWrite(
    jobKey: string,
    condition: string,
    update: UpdateBuilder,
    extraValues: Record<string, unknown>,
    counted?: CountedChange,
  ): Promise<WebhookWrite> {
    const outcome = await this.write(this.updateCommand(jobKey, condition, update, extraValues), counted);
    if (!outcome.written) return { written: false, current: outcome.current };
    return { written: true, before: outcome.old ?? ({ ...itemKeyOf(jobKey), jobKey } as JobRecord) };
  }

  /**
   * One conditional job write: alone, handing back the old item; or, with counter deltas, in one
   * transaction with their `ADD` to a random counter shard, so the job's change and its counts
   * are made together or not at all. A counted write is also conditional on the state its
   * deltas were computed from. Either way a refusal hands back the item as it is.
   */
  private async write(command: UpdateParams, counted: CountedChange | undefined): Promise<Outcome> {
    const counterTable = this.options.counters;
    const { campaignId } = command.Key;
    const guarded = counted?.observedState === undefined ? command : withObservedState(command, counted.observedState);
    if (!counted || Object.values(counted.deltas).every((n) => n === 0)) return this.writeAlone(guarded);
    if (!counterTable) throw new Error('a counted job write needs the counters table');
    for (let attempt = 1; ; attempt++) {
      const shard = Math.floor((counterTable.random ?? Math.random)() * counterTable.shards);
      const counterUpdate = counterShardUpdate(counterTable.tableName, campaignId, counted.deltas, shard, Date.now())!;
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [{ Update: { ...guarded, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } }, { Update: counterUpdate }],
          }),
        );
        return { written: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const reasons = error.CancellationReasons ?? [];
        if (reasons[0]?.Code === 'ConditionalCheckFailed') {
          const current = reasons[0].Item ? refusedItem<JobRecord>({ Item: reasons[0].Item }) : undefined;
          return { written: false, ...(current ? { current: asRecord(current) } : {}) };
        }
        const passing = reasons.some((reason) => reason.Code && PASSING_CANCELLATIONS.has(reason.Code));
        if (!passing || attempt >= TRANSACTION_TRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** attempt * Math.random()));
      }
    }
  }

  private async writeAlone(command: UpdateParams): Promise<Outcome> {
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
 * The write's condition, narrowed to the state its counts were computed from: `null` means no
 * item yet (a first settlement), a waiting state only for the message that carries its dispatch id.
 */
function withObservedState(command: UpdateParams, observed: JobState | null): UpdateParams {
  if (observed === null) return { ...command, ConditionExpression: `(${command.ConditionExpression}) AND attribute_not_exists(recipient)` };
  return {
    ...command,
    ConditionExpression: `(${command.ConditionExpression}) AND #state = :countedFrom`,
    ExpressionAttributeValues: { ...command.ExpressionAttributeValues, ':countedFrom': observed },
  };
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
 * or the same reason on a cancelled transaction; or the document client's refusal to marshal a
 * number it cannot keep exactly.
 */
function refusesTheContent(error: unknown): error is Error {
  const aboutTheItem = (message: string | undefined) =>
    /item size (to update )?has exceeded|nesting levels have exceeded/i.test(message ?? '');
  if (!(error instanceof Error)) return false;
  if (error instanceof TransactionCanceledException)
    return (error.CancellationReasons ?? []).some((reason) => aboutTheItem(reason.Message));
  if (/Number\.(MAX|MIN)_SAFE_INTEGER|Special numeric value/.test(error.message)) return true;
  return error.name === 'ValidationException' && aboutTheItem(error.message);
}
