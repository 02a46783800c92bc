import { batchGetAll } from '../../lib/adapters/dynamodb/dynamo.ts';
import { createAudienceReader } from '../../lib/adapters/s3/audience-reader.ts';
import type { Campaign } from '../../lib/domain/campaign-contract.ts';
import { maskPhoneNumber } from '../../lib/domain/phone.ts';
import { AudienceChanged, AudienceMalformed, AudienceNotFound } from '../../lib/errors.ts';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import type { CampaignRecord, LaunchFacts } from '../../lib/ports/campaign-store.ts';
import type { CampaignCliContext } from './context.ts';
import { csvLine } from './csv.ts';
import { refused } from './failure.ts';
import { type PlannedRow, planRow, type RowPlanner } from './report-rows.ts';
import { readRecord } from './show.ts';

export interface ReportInput extends CampaignCliContext {
  campaignId: string;
  /** Recipients masked (`+49*********78`), for a report that travels further than the audience. */
  mask: boolean;
  /** Where each CSV line goes (default: `out`); awaited, so a file is written at the pace it drains. */
  write?: ((line: string) => void | Promise<void>) | undefined;
}

/** How the audience's rows stand, for the line after the report. */
export interface ReportSummary {
  rows: number;
  jobs: number;
  notSentYet: number;
  duplicates: number;
  rejected: number;
}

export const REPORT_COLUMNS = [
  'row',
  'recipient',
  'state',
  'wamid',
  'errorCode',
  'errorReason',
  'acceptedAt',
  'sentAt',
  'deliveredAt',
  'readAt',
];

/** Rows looked up together: one BatchGetItem holds at most 100 keys. */
const CHUNK_ROWS = 100;

type JobFields = Pick<
  JobRecord,
  'recipient' | 'state' | 'wamid' | 'lastErrorCode' | 'lastErrorReason' | 'acceptedAt' | 'sentAt' | 'deliveredAt' | 'readAt'
>;
const JOB_ATTRIBUTES = ['recipient', 'state', 'wamid', 'lastErrorCode', 'lastErrorReason', 'acceptedAt', 'sentAt', 'deliveredAt', 'readAt'];

/** A campaign that launched: only then are its audience's version and its jobs' validity known. */
function launched(record: CampaignRecord): { definition: Campaign; launch: LaunchFacts } {
  const { campaignId, definition, launch } = record;
  if (!definition) throw refused(`campaign ${campaignId} does not match the campaign contract: ${record.definitionProblem}`);
  if (!launch) throw refused(`campaign ${campaignId} has not launched yet: it has no jobs to report`);
  return { definition, launch };
}

/** The job items of a chunk's first rows, by recipient: one BatchGetItem, by key, never a scan. */
async function jobsOf(input: ReportInput, chunk: readonly PlannedRow[]): Promise<Map<string, JobFields>> {
  const keys = chunk.filter((planned) => planned.kind === 'job').map(({ recipient }) => ({ recipient, campaignId: input.campaignId }));
  if (keys.length === 0) return new Map();
  const items = await batchGetAll<JobFields>(input.jobs.doc, input.jobs.tableName, keys, {
    ProjectionExpression: JOB_ATTRIBUTES.map((_, i) => `#a${i}`).join(', '),
    ExpressionAttributeNames: Object.fromEntries(JOB_ATTRIBUTES.map((name, i) => [`#a${i}`, name])),
  });
  return new Map(items.map((item) => [item.recipient, item]));
}

/** The CSV fields of one row. */
function fieldsOf(planned: PlannedRow, job: JobFields | undefined, mask: boolean): Array<string | number | undefined> {
  const shown = (recipient: string) => (mask && recipient !== '' ? maskPhoneNumber(recipient) : recipient);
  const recipient = shown(planned.recipient);
  if (planned.kind === 'rejected') return [planned.row, recipient, `rejected: ${planned.reason}`, '', '', planned.detail];
  if (planned.kind === 'duplicate') return [planned.row, recipient, `duplicate of row ${planned.firstRow}`];
  if (!job) return [planned.row, recipient, 'not sent yet'];
  return [
    planned.row,
    recipient,
    job.state,
    job.wamid,
    job.lastErrorCode,
    job.lastErrorReason,
    job.acceptedAt,
    job.sentAt,
    job.deliveredAt,
    job.readAt,
  ];
}

/** Looks a chunk's jobs up and writes its lines in row order; the header goes before the first chunk. */
async function writeChunk(input: ReportInput, chunk: readonly PlannedRow[], summary: ReportSummary): Promise<void> {
  const write = input.write ?? input.out;
  if (summary.rows === 0) await write(csvLine(REPORT_COLUMNS));
  const jobs = await jobsOf(input, chunk);
  for (const planned of chunk) {
    const job = planned.kind === 'job' ? jobs.get(planned.recipient) : undefined;
    summary.rows++;
    if (planned.kind === 'rejected') summary.rejected++;
    else if (planned.kind === 'duplicate') summary.duplicates++;
    else if (job) summary.jobs++;
    else summary.notSentYet++;
    await write(csvLine(fieldsOf(planned, job, input.mask)));
  }
}

/** The reader's failures, said for the report; other errors pass as they are. */
function reportFailure(error: unknown, rowsWritten: number): unknown {
  if (error instanceof AudienceChanged) {
    return refused(`${error.message}: its rows can no longer be matched to the jobs, so there is no report`);
  }
  if (error instanceof AudienceNotFound) return refused(`${error.message}: there is nothing to report from`);
  if (error instanceof AudienceMalformed) return refused(`${error.message} (${rowsWritten} rows were written before it)`);
  return error;
}

/**
 * `report <id> [--mask]`: each audience row's outcome as CSV, in file order. The audience is
 * streamed again from S3 (the version the campaign launched with), each row turned into its
 * recipient as the feeder did, and the job items read by key 100 at a time: no table scan, and
 * memory holds only a chunk of rows and each recipient's first row.
 */
export async function reportCampaign(input: ReportInput): Promise<ReportSummary> {
  const { definition, launch } = launched(await readRecord(input));
  const planner: RowPlanner = {
    context: {
      campaign: definition,
      launchedAt: launch.launchedAt,
      validitySeconds: launch.validitySeconds,
      policy: input.recipientPolicy,
    },
    firstRowOf: new Map(),
  };
  const { bucket, key, format } = definition.audience;
  const summary: ReportSummary = { rows: 0, jobs: 0, notSentYet: 0, duplicates: 0, rejected: 0 };
  let chunk: PlannedRow[] = [];
  try {
    for await (const record of createAudienceReader(input.s3).rows({ bucket, key, format, etag: launch.audienceEtag })) {
      chunk.push(planRow(record, planner));
      if (chunk.length < CHUNK_ROWS) continue;
      await writeChunk(input, chunk, summary);
      chunk = [];
    }
  } catch (error) {
    throw reportFailure(error, summary.rows);
  }
  await writeChunk(input, chunk, summary);
  return summary;
}
