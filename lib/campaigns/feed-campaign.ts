import type { Logger } from '@aws-lambda-powertools/logger';
import type { Campaign } from '../domain/campaign-contract.ts';
import { CAMPAIGN_STATUSES } from '../domain/campaign-lifecycle.ts';
import { addWaiting, DEFAULT_FEED_HORIZON_SECONDS, feedBudget, waitingAfter } from '../domain/feed-plan.ts';
import type { RecipientPolicy } from '../domain/phone.ts';
import { AudienceChanged, AudienceMalformed, AudienceNotFound } from '../errors.ts';
import type { AudienceCheckpoint, AudienceRecord, AudienceSource } from '../ports/audience-source.ts';
import type { CampaignCounters, CounterDeltas } from '../ports/campaign-counters.ts';
import type { CampaignRecord, CampaignStore, FeedLease, FeedState, LaunchFacts } from '../ports/campaign-store.ts';
import type { RejectionSink } from '../ports/rejection-sink.ts';
import type { CampaignJobQueue } from '../ports/send-queue-feed.ts';
import { type PlannedRow, planRow } from './feed-rows.ts';

/** Rows between two checkpoints: one saved feed state (and at most one report part) per 100 rows, not per batch of 10. */
export const CHECKPOINT_ROWS = 100;
/** Rows at most between two looks at the campaign's status and counters: a pause stops the feed within this many rows. */
export const MAX_CYCLE_ROWS = 1_000;
export const DEFAULT_POLL_MS = 5_000;
/** How long the feed lease lasts without renewal: a feeder that died is taken over after this. */
export const DEFAULT_LEASE_MS = 60_000;
/** A report part is rewritten with each checkpoint's new lines until it holds this much; then a new one starts. */
const MAX_PART_BYTES = 64 * 1024;

export interface FeedContext {
  campaignId: string;
  store: CampaignStore;
  audience: AudienceSource;
  queue: CampaignJobQueue;
  rejections: RejectionSink;
  counters: CampaignCounters;
  /** The summed weights of the SENDING campaigns on a phone number. */
  sharing: (phoneNumberId: string) => Promise<{ totalWeight: number }>;
  policy: RecipientPolicy;
  /** This feeder's lease owner id (e.g. the invocation's request id). */
  owner: string;
  now: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Epoch ms: no feeding starts after it (the invocation's end, less a margin). */
  deadline: number;
  horizonSeconds?: number;
  /** How long to wait before looking again when nothing may be enqueued. */
  pollMs?: number;
  leaseMs?: number;
  logger: Pick<Logger, 'info' | 'warn'>;
}

export type FeedOutcome = 'fed' | 'paused' | 'stopped-at-deadline' | 'lease-lost' | 'failed';

/** What this invocation did; `reason` says why it stopped when that is not plain. */
export interface FeedResult {
  outcome: FeedOutcome;
  rowsRead: number;
  enqueued: number;
  rejected: number;
  duplicates: number;
  reason?: string;
}

type Tally = Omit<FeedResult, 'outcome' | 'reason'>;

/** The report part this invocation is writing: rewritten whole at each checkpoint that adds lines. */
interface OpenPart {
  firstRow: number;
  lines: string[];
  bytes: number;
}

/** One invocation's state: the feed as last saved, the lease, and what was done. */
interface FeedRun {
  context: FeedContext;
  lease: FeedLease;
  feed: FeedState;
  campaign: Campaign;
  launch: LaunchFacts;
  seen: Map<string, number>;
  tally: Tally;
  part: OpenPart | undefined;
}

/**
 * Feeds a SENDING campaign's audience to the send queue, paced by the campaign's share of its
 * number, until the file ends, the campaign stops sending, the deadline comes or another feeder
 * takes over. Each group of rows is enqueued first and checkpointed after: a crash between the
 * two enqueues the same rows again with the same dispatch ids, which the send path's claim turns
 * into no-ops, so no row is skipped and none sent twice. Memory stays flat: rows are pulled as
 * they are fed.
 */
export async function feedCampaign(context: FeedContext): Promise<FeedResult> {
  const lease = { owner: context.owner, until: context.now() + (context.leaseMs ?? DEFAULT_LEASE_MS) };
  const feed = await context.store.takeFeedLease(context.campaignId, lease, context.now());
  const tally: Tally = { rowsRead: 0, enqueued: 0, rejected: 0, duplicates: 0 };
  if (!feed) return { outcome: 'lease-lost', ...tally, reason: 'another feeder holds the lease' };
  let result: FeedResult;
  try {
    const feedable = feedableNow(await context.store.get(context.campaignId));
    if ('stop' in feedable) result = { outcome: 'paused', ...tally, reason: feedable.stop };
    else {
      result = await feedUntilStopped({ context, lease, feed, ...feedable, seen: new Map(), tally, part: undefined });
    }
  } catch (error) {
    const reason = audienceProblem(error);
    if (reason === undefined) {
      await releaseAfterError(context);
      throw error;
    }
    result = { outcome: 'failed', ...tally, reason };
  }
  if (result.outcome !== 'lease-lost') await context.store.releaseFeedLease(context.campaignId, context.owner);
  context.logger.info('campaign feed stopped', { campaignId: context.campaignId, ...result });
  return result;
}

/** Cycles: work out the budget, feed that many rows (or wait), look at the campaign again, and again. */
async function feedUntilStopped(run: FeedRun): Promise<FeedResult> {
  const { context } = run;
  for (;;) {
    if (context.now() >= context.deadline) return resultOf(run, 'stopped-at-deadline');
    if (run.feed.fedAt !== undefined) return resultOf(run, 'fed');
    const budget = await budgetNow(run);
    if (budget === 0) {
      if (!(await idle(run))) return resultOf(run, 'lease-lost');
    } else {
      const stopped = await feedRows(run, Math.min(budget, MAX_CYCLE_ROWS));
      if (stopped === 'end') return finish(run);
      if (stopped !== 'more') return resultOf(run, stopped);
    }
    const feedable = feedableNow(await context.store.get(context.campaignId));
    if ('stop' in feedable) return resultOf(run, 'paused', feedable.stop);
    run.campaign = feedable.campaign;
    run.launch = feedable.launch;
  }
}

/** Only a campaign the sender has applied SENDING to is fed: a pause, a cancel or a failure stops the feed at once. */
function feedableNow(record: CampaignRecord | undefined): { campaign: Campaign; launch: LaunchFacts } | { stop: string } {
  if (!record) return { stop: 'the campaign no longer exists' };
  if (record.appliedStatus !== CAMPAIGN_STATUSES.sending) return { stop: `the campaign is ${record.appliedStatus ?? 'not launched'}` };
  if (!record.definition) return { stop: `the campaign's definition cannot be read: ${record.definitionProblem ?? 'missing'}` };
  if (!record.launch) return { stop: 'the campaign has no launch facts' };
  return { campaign: record.definition, launch: record.launch };
}

/** How many rows to feed now, from the counters (jobs settled) and the number's shares. */
async function budgetNow(run: FeedRun): Promise<number> {
  const { context, campaign, launch } = run;
  const [counters, { totalWeight }] = await Promise.all([
    context.counters.read(context.campaignId),
    context.sharing(campaign.phoneNumberId),
  ]);
  const { waitingUntil, waiting } = waitingAfter(run.feed.waitingUntil, Math.floor(context.now() / 1000));
  run.feed = { ...run.feed, waitingUntil };
  return feedBudget({
    ratePerSecond: launch.ratePerSecond,
    shareWeight: campaign.weight ?? 1,
    totalWeight,
    horizonSeconds: context.horizonSeconds ?? DEFAULT_FEED_HORIZON_SECONDS,
    enqueued: run.feed.enqueued,
    settled: settledOf(counters),
    waitingForWindow: waiting,
  });
}

/** Jobs off the queue: every recipient with a state record, and those the send path rejected or found duplicate. */
function settledOf(counters: CounterDeltas): number {
  return Object.entries(counters).reduce(
    (sum, [name, value]) => (name.startsWith('state_') || name === 'rejected' || name === 'duplicates' ? sum + value : sum),
    0,
  );
}

/** Nothing may be enqueued: keep the lease and look again after the poll interval. False when the lease was lost. */
async function idle(run: FeedRun): Promise<boolean> {
  const { context } = run;
  const leaseMs = context.leaseMs ?? DEFAULT_LEASE_MS;
  if (run.lease.until - context.now() < leaseMs / 2) {
    const lease = renewedLease(run);
    if (!(await context.store.saveFeed(context.campaignId, lease, run.feed.checkpoint.row, run.feed))) return false;
    run.lease = lease;
  }
  await context.sleep(Math.max(0, Math.min(context.pollMs ?? DEFAULT_POLL_MS, context.deadline - context.now())));
  return true;
}

type RowsStop = 'more' | 'end' | 'stopped-at-deadline' | 'lease-lost';

/** Reads up to `limit` rows from the checkpoint, feeding and checkpointing them a group at a time. */
async function feedRows(run: FeedRun, limit: number): Promise<RowsStop> {
  const { context, campaign, launch } = run;
  const { bucket, key, format } = campaign.audience;
  const rows = context.audience.rows({ bucket, key, format, etag: launch.audienceEtag, from: run.feed.checkpoint });
  const iterator = rows[Symbol.asyncIterator]();
  try {
    for (let left = limit; left > 0; ) {
      if (context.now() >= context.deadline) return 'stopped-at-deadline';
      const { records, ended } = await nextRecords(iterator, Math.min(CHECKPOINT_ROWS, left));
      if (records.length > 0 && !(await feedGroup(run, records))) return 'lease-lost';
      if (ended) return 'end';
      left -= records.length;
    }
    return 'more';
  } finally {
    // Ends the download: the rest of the file is read by the next cycle, from the checkpoint.
    await iterator.return?.();
  }
}

async function nextRecords(iterator: AsyncIterator<AudienceRecord>, count: number): Promise<{ records: AudienceRecord[]; ended: boolean }> {
  const records: AudienceRecord[] = [];
  while (records.length < count) {
    const next = await iterator.next();
    if (next.done) return { records, ended: true };
    records.push(next.value);
  }
  return { records, ended: false };
}

/** One group: enqueue its jobs, write its rejections, then save the checkpoint after it. False when the save was refused. */
async function feedGroup(run: FeedRun, records: readonly AudienceRecord[]): Promise<boolean> {
  const { context, campaign, launch, seen } = run;
  const now = context.now();
  const planned = records.map((record) => planRow(record, { campaign, launch, policy: context.policy, now, seen }));
  const jobs = planned.filter((row) => row.kind === 'job');
  await context.queue.enqueue(jobs.map((job) => ({ id: String(job.row), body: job.body })));
  const reportParts = await writeRejections(run, records[0]!.row, planned);
  const next = nextFeedState(run.feed, { jobs, planned, reportParts, checkpoint: records.at(-1)!.checkpoint });
  const lease = renewedLease(run);
  if (!(await context.store.saveFeed(context.campaignId, lease, run.feed.checkpoint.row, next))) return false;
  const tally = run.tally;
  tally.rowsRead += records.length;
  tally.enqueued += jobs.length;
  tally.rejected += next.rejected - run.feed.rejected;
  tally.duplicates += next.duplicates - run.feed.duplicates;
  run.feed = next;
  run.lease = lease;
  return true;
}

interface GroupDone {
  jobs: ReadonlyArray<Extract<PlannedRow, { kind: 'job' }>>;
  planned: readonly PlannedRow[];
  reportParts: string[];
  checkpoint: AudienceCheckpoint;
}

function nextFeedState(feed: FeedState, { jobs, planned, reportParts, checkpoint }: GroupDone): FeedState {
  let { waitingUntil } = feed;
  for (const job of jobs) if (job.notBefore !== undefined) waitingUntil = addWaiting(waitingUntil, job.notBefore);
  return {
    ...feed,
    checkpoint,
    enqueued: feed.enqueued + jobs.length,
    rejected: feed.rejected + planned.filter((row) => row.kind === 'rejected').length,
    duplicates: feed.duplicates + planned.filter((row) => row.kind === 'duplicate').length,
    waitingUntil,
    reportParts,
  };
}

/**
 * Writes the group's report lines before its checkpoint: into the part this invocation has open
 * (rewritten whole), or a new part named by the group's first row. A crash before the checkpoint
 * rewrites the same part again, or one after it; the merge drops rows a part repeats.
 */
async function writeRejections(run: FeedRun, groupFirstRow: number, planned: readonly PlannedRow[]): Promise<string[]> {
  const lines = planned.flatMap((row) => (row.kind === 'job' ? [] : [row.line]));
  if (lines.length === 0) return run.feed.reportParts;
  const part = run.part ?? { firstRow: groupFirstRow, lines: [], bytes: 0 };
  part.lines.push(...lines);
  part.bytes += lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);
  run.part = part.bytes >= MAX_PART_BYTES ? undefined : part;
  const key = await run.context.rejections.writePart({ campaign: run.campaign, firstRow: part.firstRow, lines: part.lines });
  return run.feed.reportParts.includes(key) ? run.feed.reportParts : [...run.feed.reportParts, key];
}

/** The whole audience was read: merge the report, then record the feed as done. */
async function finish(run: FeedRun): Promise<FeedResult> {
  const { context, campaign } = run;
  const reportKey = await context.rejections.merge({ campaign, parts: run.feed.reportParts });
  const fed: FeedState = { ...run.feed, fedAt: context.now() };
  if (!(await context.store.saveFeed(context.campaignId, renewedLease(run), run.feed.checkpoint.row, fed)))
    return resultOf(run, 'lease-lost');
  run.feed = fed;
  context.logger.info('campaign audience fed', {
    campaignId: context.campaignId,
    reportKey,
    enqueued: fed.enqueued,
    rejected: fed.rejected,
    duplicates: fed.duplicates,
  });
  return resultOf(run, 'fed');
}

function renewedLease({ context }: FeedRun): FeedLease {
  return { owner: context.owner, until: context.now() + (context.leaseMs ?? DEFAULT_LEASE_MS) };
}

function resultOf(run: FeedRun, outcome: FeedOutcome, reason?: string): FeedResult {
  return { outcome, ...run.tally, ...(reason === undefined ? {} : { reason }) };
}

/** The reason for a failure that fails the campaign (the audience file is gone, changed or unreadable); undefined for any other error. */
function audienceProblem(error: unknown): string | undefined {
  const known = error instanceof AudienceChanged || error instanceof AudienceNotFound || error instanceof AudienceMalformed;
  return known ? error.message : undefined;
}

/** Gives the lease up after an unexpected error, so the retry need not wait for it to expire. */
async function releaseAfterError(context: FeedContext): Promise<void> {
  try {
    await context.store.releaseFeedLease(context.campaignId, context.owner);
  } catch (error) {
    context.logger.warn('feed lease not released after an error; it expires on its own', { error: error as Error });
  }
}
