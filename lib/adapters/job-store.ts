import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type JobState, JOB_STATES, WAITING_STATES } from '../domain/job-state.ts';
import type { Decision } from '../domain/send-plan.ts';
import type { ValidJob } from '../domain/validate-job.ts';

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
  lastErrorCode?: number;
  lastErrorReason?: string;
  /** MM API calls made for this job: more than one only after a 131049 (one per attempt) or a transient error. */
  apiCalls: number;
  updatedAt: string;
  /** TTL (epoch seconds): job items hold phone numbers, so they expire. */
  expiresAt: number;
}

export type ClaimResult = { claimed: true; record: JobRecord } | { claimed: false; existing: JobRecord };

export interface ClaimRequest {
  job: ValidJob;
  token: string;
  now: number;
  createdAt: number;
  validUntil: number;
  /** `sending` for a real claim; `expired` records a job that was too late without ever claiming it. */
  state: typeof JOB_STATES.sending | typeof JOB_STATES.expired;
  reason?: string;
}

export function jobKeyOf(campaignId: string, recipient: string): string {
  return `${campaignId}#${recipient}`;
}

export interface JobStore {
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Writes the outcome of a claimed send. False when the claim was lost meanwhile. */
  recordDecision(jobKey: string, token: string, decision: Decision, now: number, nextDispatchId?: string): Promise<boolean>;
  /** A claim whose worker died mid-send: the request may have reached Meta. */
  markUnknown(jobKey: string, token: string, now: number, reason: string): Promise<boolean>;
  get(jobKey: string): Promise<JobRecord | undefined>;
}

export interface JobStoreOptions {
  tableName: string;
  /** How long job items are kept after their validity ends, for reporting. */
  retentionDays: number;
}

/** DynamoDB adapter for job items. Every write is conditional, so duplicates and stale workers are no-ops. */
export function createJobStore(doc: DynamoDBDocumentClient, options: JobStoreOptions): JobStore {
  const iso = (ms: number) => new Date(ms).toISOString();
  const ttlFor = (validUntil: number) => Math.floor(validUntil / 1000) + options.retentionDays * 86_400;

  return {
    async claim({ job, token, now, createdAt, validUntil, state, reason }) {
      const jobKey = jobKeyOf(job.campaignId, job.recipient);
      const sending = state === JOB_STATES.sending;
      try {
        const result = await doc.send(
          new UpdateCommand({
            TableName: options.tableName,
            Key: { jobKey },
            ConditionExpression: 'attribute_not_exists(jobKey) OR (#state IN (:waiting1, :waiting2) AND nextDispatchId = :token)',
            UpdateExpression: [
              'SET #state = :state, claimToken = :token, attempt = :attempt, updatedAt = :now',
              'campaignId = :campaignId, recipient = :recipient, phoneNumberId = :phoneNumberId',
              'templateName = :templateName, templateLanguage = :templateLanguage',
              'createdAt = if_not_exists(createdAt, :createdAt), validUntil = if_not_exists(validUntil, :validUntil)',
              'retries = if_not_exists(retries, :zero), expiresAt = if_not_exists(expiresAt, :expiresAt)',
              sending ? 'claimedAt = :now, apiCalls = if_not_exists(apiCalls, :zero) + :one' : 'apiCalls = if_not_exists(apiCalls, :zero), lastErrorReason = :reason',
            ].join(', ') + ' REMOVE nextDispatchId, dueAt',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':state': state,
              ':token': token,
              ':waiting1': WAITING_STATES[0],
              ':waiting2': WAITING_STATES[1],
              ':attempt': job.attempt ?? 1,
              ':now': iso(now),
              ':campaignId': job.campaignId,
              ':recipient': job.recipient,
              ':phoneNumberId': job.phoneNumberId,
              ':templateName': job.template.name,
              ':templateLanguage': job.template.language.code,
              ':createdAt': iso(createdAt),
              ':validUntil': iso(validUntil),
              ':zero': 0,
              ':expiresAt': ttlFor(validUntil),
              ...(sending ? { ':one': 1 } : { ':reason': reason ?? 'validity ended' }),
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { claimed: true, record: result.Attributes as JobRecord };
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException && error.Item) {
          return { claimed: false, existing: unmarshallOld(error.Item) };
        }
        throw error;
      }
    },

    async recordDecision(jobKey, token, decision, now, nextDispatchId) {
      const names: Record<string, string> = { '#state': 'state' };
      const values: Record<string, unknown> = { ':state': decision.state, ':now': iso(now), ':token': token, ':sending': JOB_STATES.sending };
      const set = ['#state = :state', 'updatedAt = :now'];
      const remove: string[] = [];
      switch (decision.state) {
        case JOB_STATES.accepted:
          set.push('wamid = :wamid', 'messageStatus = :messageStatus', 'acceptedAt = :now');
          values[':wamid'] = decision.wamid;
          values[':messageStatus'] = decision.messageStatus;
          remove.push('lastErrorCode', 'lastErrorReason');
          break;
        case JOB_STATES.retryWait:
        case JOB_STATES.deferred:
          if (!nextDispatchId) throw new Error('a waiting job needs the id of the message that will dispatch it');
          set.push('nextDispatchId = :next', 'dueAt = :dueAt', 'attempt = :attempt', 'retries = :retries', 'lastErrorReason = :reason');
          values[':next'] = nextDispatchId;
          values[':dueAt'] = iso(decision.dueAt);
          values[':attempt'] = decision.attempt;
          values[':retries'] = decision.retries;
          values[':reason'] = decision.reason;
          break;
        default:
          set.push('lastErrorReason = :reason');
          values[':reason'] = decision.reason;
      }
      if ('errorCode' in decision && decision.errorCode !== undefined) {
        set.push('lastErrorCode = :code');
        values[':code'] = decision.errorCode;
      }
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: options.tableName,
            Key: { jobKey },
            ConditionExpression: 'claimToken = :token AND #state = :sending',
            UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
    },

    markUnknown(jobKey, token, now, reason) {
      return this.recordDecision(jobKey, token, { state: JOB_STATES.unknown, reason }, now);
    },

    async get(jobKey) {
      const result = await doc.send(new GetCommand({ TableName: options.tableName, Key: { jobKey }, ConsistentRead: true }));
      return result.Item as JobRecord | undefined;
    },
  };
}

async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/** `ReturnValuesOnConditionCheckFailure` hands back the raw attribute-value map, even through the document client. */
function unmarshallOld(item: Record<string, unknown>): JobRecord {
  const first = Object.values(item)[0] as Record<string, unknown> | undefined;
  const isRaw = first !== undefined && typeof first === 'object' && first !== null && ['S', 'N', 'BOOL', 'M', 'L', 'NULL'].some((k) => k in first);
  return (isRaw ? unmarshall(item as never) : item) as JobRecord;
}

