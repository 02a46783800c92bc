import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Message } from '@aws-sdk/client-sqs';
import type { SimulatedCall } from 'mm-api-simulator';
import { inject } from 'vitest';
import { parseCallbackData } from '../../lib/domain/callback-data.ts';
import { FINAL_STATES, WAITING_STATES } from '../../lib/domain/job-state.ts';
import { normalisePhoneNumber } from '../../lib/domain/phone.ts';
import { type JobRecord, jobKeyOf } from '../../lib/jobs/job-record.ts';
import { countsOfJob, isRecountable } from '../../lib/jobs/state-gauges.ts';
import type { CounterDeltas } from '../../lib/ports/campaign-counters.ts';

/**
 * Ground-truth accounting for the fault suite. Every fault file keeps a ledger of what it put
 * in (valid jobs and bad inputs) and, at its end, compares it with what the world says happened:
 *
 * - the MM API simulator's call log (what "Meta" saw and accepted),
 * - the jobs table (what the sender believes),
 * - the send DLQ (what it gave up on, with or without a rejection reason),
 * - the send and deferred queues (what is still waiting).
 *
 * Definitions (per job, a job being one campaign + recipient):
 *
 * - **sent exactly once**: at least one accepted MM API call and no duplicate send (below).
 * - **sent twice**: more than one accepted MM API call for the same campaign + recipient +
 *   attempt. A job's "attempt" only moves on when Meta reports the previous accepted message as
 *   failed (a `failed` webhook, e.g. 131049 → next attempt, or a retryable code → a new try);
 *   so an accepted call is a duplicate when an earlier accepted call for the same job exists
 *   whose message the simulator did not fail (its planned fate `call.delivery.outcome` is not
 *   `failed`). This is independent of the sender's own bookkeeping.
 * - **lost**: a valid job that has no final state in the jobs table (no item, or an item in
 *   `sending`, or a waiting state whose due time passed more than `graceMs` ago), is not in the
 *   send DLQ, and is not waiting (`retry_wait`/`deferred` with a due time still ahead, or only just
 *   passed). Waiting jobs must be backed by a message: if more jobs wait than the send and deferred
 *   queues hold messages (visible, in flight or delayed), the surplus counts as lost too.
 * - **unknown**: a job whose send was interrupted (the request may have reached Meta): in state
 *   `unknown` now, or settled since by a status (`reconciledBy`) or re-sent once (`resentAt`).
 *   Counted and shown, with how many of them Meta did accept (a status settled it, or Meta
 *   accepted more calls than the re-send made); more than one accepted call is a "sent twice"
 *   like any other.
 * - **unknown after reconciliation**: still `unknown` at the end, after the statuses and the
 *   operator's re-send (docs/design.md#reconciling-unknown-jobs) had their go.
 * - **dead-lettered**: a valid job in the send DLQ without a `rejectionReason` (it failed
 *   `maxReceiveCount` receives, e.g. DynamoDB unavailable): not lost, an operator redrives it.
 * - **bad inputs** must each be in the send DLQ with a `rejectionReason`; none may reach Meta.
 *   Any simulator call that cannot be attributed to a valid job of the ledger is a **stray call**.
 * - **uncounted calls**: simulator calls for a job beyond the job item's `apiCalls`, i.e. calls
 *   the sender made without a claim recording them (must be 0).
 * - **figures off**: campaign counters (state gauges, failed codes, unique accepted, unique
 *   delivered) that differ from a recount of the campaign's job items (`countsOfJob`), read
 *   while the counters stood still (must be 0): the report an operator reads tells the truth.
 *
 * Calls are attributed to a campaign through `biz_opaque_callback_data` (`fault:<campaignId>`,
 * set by `faultJob`) and to a recipient through `to`.
 */

export const CALLBACK_PREFIX = 'fault:';

export interface LedgerJob {
  campaignId: string;
  /** E.164, as the sender normalises it. */
  recipient: string;
}

export interface LedgerBadInput {
  name: string;
  body: string;
}

/** A job's key (`campaignId#recipient`), as the jobs table stores it. */
export const keyOf = jobKeyOf;

function normalised(recipient: string): string {
  const phone = normalisePhoneNumber(recipient);
  if (!phone.ok) throw new Error(`ledger: ${recipient} is not a valid recipient`);
  return phone.e164;
}

/** What one fault file put in. */
export class FaultLedger {
  readonly valid = new Map<string, LedgerJob>();
  readonly bad: LedgerBadInput[] = [];
  /** Queue messages sent, duplicates included. */
  messages = 0;

  readonly family: string;

  constructor(family: string) {
    this.family = family;
  }

  /** Records valid jobs (a duplicate message of a job already recorded only counts as a message). */
  addJobs(jobs: ReadonlyArray<{ campaignId: string; recipient: string }>, messagesEach = 1): void {
    for (const job of jobs) {
      const recipient = normalised(job.recipient);
      this.valid.set(keyOf(job.campaignId, recipient), { campaignId: job.campaignId, recipient });
      this.messages += messagesEach;
    }
  }

  addBadInputs(inputs: ReadonlyArray<LedgerBadInput>): void {
    this.bad.push(...inputs);
    this.messages += inputs.length;
  }
}

/** Everything the totals are computed from, read at the end of a file. */
export interface GroundTruth {
  calls: SimulatedCall[];
  jobs: JobRecord[];
  /** Every message of the send DLQ, with message attributes. */
  sendDlq: Message[];
  /** Messages the send and deferred queues still hold (visible + in flight + delayed). */
  queuedMessages: number;
  now: number;
  /** Each ledger campaign's summed counters, read before and after `jobs` with no change between. */
  counters?: Record<string, CounterDeltas>;
}

export interface FaultTotals {
  family: string;
  /** Distinct jobs put in: valid jobs plus bad inputs. */
  jobsIn: number;
  messagesIn: number;
  valid: number;
  badInputs: number;
  /** Bad inputs found in the send DLQ with a `rejectionReason`. */
  rejected: number;
  /** Bad inputs not in the send DLQ with a reason (must be 0). */
  badNotRejected: number;
  sentOnce: number;
  /** Valid jobs in a final state that Meta never accepted (failed, expired, suppressed, unknown…). */
  notSent: number;
  unknown: number;
  /** Of `unknown`: jobs Meta did accept (the answer was lost). */
  unknownAccepted: number;
  /** Of `unknown`: still `unknown` at the end (neither settled by a status nor re-sent and settled). */
  unknownAfterReconciliation: number;
  waiting: number;
  deadLettered: number;
  lost: number;
  sentTwice: number;
  strayCalls: number;
  uncountedCalls: number;
  /** Recountable campaign counters that differ from the job items (must be 0). */
  figuresOff: number;
  /** MM API calls the simulator saw, and how many it accepted. */
  apiCalls: number;
  acceptedCalls: number;
  byState: Record<string, number>;
  /** Keys behind the non-zero failure columns, for the failure message. */
  details: {
    lost: string[];
    sentTwice: string[];
    badNotRejected: string[];
    strayCalls: string[];
    uncountedCalls: string[];
    figuresOff?: string[];
  };
}

/** Reads `campaignId`+recipient from a job body, if it is one. */
export function jobKeyOfBody(body: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as { campaignId?: unknown; recipient?: unknown };
    if (typeof parsed.campaignId !== 'string' || typeof parsed.recipient !== 'string') return undefined;
    const phone = normalisePhoneNumber(parsed.recipient);
    return phone.ok ? keyOf(parsed.campaignId, phone.e164) : undefined;
  } catch {
    return undefined;
  }
}

/** The job's own callback data in a call (after the sender's dispatch reference, lib/domain/callback-data.ts). */
export function jobCallbackDataOf(call: SimulatedCall): string | undefined {
  const data = (call.body as { biz_opaque_callback_data?: unknown } | undefined)?.biz_opaque_callback_data;
  return typeof data === 'string' ? parseCallbackData(data).jobData : undefined;
}

function campaignOfCall(call: SimulatedCall, ledger: FaultLedger): string | undefined {
  const data = jobCallbackDataOf(call);
  if (data?.startsWith(CALLBACK_PREFIX)) return data.slice(CALLBACK_PREFIX.length);
  // Without callback data: the recipient's only campaign in the ledger, if it has just one.
  const campaigns = [...ledger.valid.values()]
    .filter((j) => call.recipient && j.recipient === normalisedOrSame(call.recipient))
    .map((j) => j.campaignId);
  return campaigns.length === 1 ? campaigns[0] : undefined;
}

function normalisedOrSame(recipient: string): string {
  const phone = normalisePhoneNumber(recipient);
  return phone.ok ? phone.e164 : recipient;
}

/** Compares the ledger with the ground truth. Pure. */
export function computeTotals(ledger: FaultLedger, truth: GroundTruth, options: { graceMs?: number } = {}): FaultTotals {
  const graceMs = options.graceMs ?? 60_000;
  const details: FaultTotals['details'] = {
    lost: [],
    sentTwice: [],
    badNotRejected: [],
    strayCalls: [],
    uncountedCalls: [],
    figuresOff: figuresOff(ledger, truth),
  };

  // Simulator calls by job key.
  const callsByKey = new Map<string, SimulatedCall[]>();
  for (const call of [...truth.calls].sort((a, b) => a.seq - b.seq)) {
    const campaignId = campaignOfCall(call, ledger);
    const key = campaignId && call.recipient ? keyOf(campaignId, normalisedOrSame(call.recipient)) : undefined;
    if (!key || !ledger.valid.has(key)) {
      details.strayCalls.push(`#${call.seq} ${call.recipient ?? '(no recipient)'} ${String(call.outcome)}`);
      continue;
    }
    const list = callsByKey.get(key) ?? [];
    list.push(call);
    callsByKey.set(key, list);
  }

  const jobsByKey = new Map(truth.jobs.map((job) => [job.jobKey, job]));
  const dlqReasonByBody = new Map<string, string | undefined>();
  const dlqKeysWithoutReason = new Set<string>();
  for (const message of truth.sendDlq) {
    const reason = message.MessageAttributes?.rejectionReason?.StringValue;
    dlqReasonByBody.set(message.Body ?? '', reason);
    const key = jobKeyOfBody(message.Body);
    if (key && !reason) dlqKeysWithoutReason.add(key);
  }

  let sentOnce = 0;
  let notSent = 0;
  let unknown = 0;
  let unknownAccepted = 0;
  let unknownAfterReconciliation = 0;
  let waiting = 0;
  let deadLettered = 0;
  let lost = 0;
  let sentTwice = 0;
  let uncountedCalls = 0;
  const byState: Record<string, number> = {};

  for (const [key] of ledger.valid) {
    const job = jobsByKey.get(key);
    const calls = callsByKey.get(key) ?? [];
    const accepted = calls.filter((c) => c.outcome === 'accepted');
    let duplicates = 0;
    for (let i = 1; i < accepted.length; i++) if (accepted[i - 1]!.delivery?.outcome !== 'failed') duplicates++;
    if (duplicates > 0) {
      sentTwice++;
      details.sentTwice.push(`${key} (${accepted.length} accepted calls, state ${job?.state ?? 'none'})`);
    }
    if (job && calls.length > (job.apiCalls ?? 0)) {
      uncountedCalls += calls.length - (job.apiCalls ?? 0);
      details.uncountedCalls.push(`${key} (${calls.length} calls, apiCalls ${job.apiCalls})`);
    }
    const state = job?.state ?? (dlqKeysWithoutReason.has(key) ? 'dead-lettered' : 'none');
    byState[state] = (byState[state] ?? 0) + 1;

    if (job && (job.state === 'unknown' || job.reconciledBy || job.resentAt)) {
      unknown++;
      if (job.reconciledBy || accepted.length > (job.resentAt ? 1 : 0)) unknownAccepted++;
      if (job.state === 'unknown') unknownAfterReconciliation++;
    }
    if (job && FINAL_STATES.includes(job.state)) {
      if (accepted.length > 0 && duplicates === 0) sentOnce++;
      else if (accepted.length === 0) notSent++;
      continue;
    }
    if (dlqKeysWithoutReason.has(key)) {
      deadLettered++;
      continue;
    }
    if (job && WAITING_STATES.includes(job.state) && job.dueAt && Date.parse(job.dueAt) > truth.now - graceMs) {
      waiting++;
      continue;
    }
    lost++;
    details.lost.push(
      `${key} (${job ? `state ${job.state}${job.dueAt ? `, due ${job.dueAt}` : ''}` : 'no job item'}, ${calls.length} calls)`,
    );
  }
  // Waiting jobs need a message that will bring them back.
  if (waiting > truth.queuedMessages) {
    lost += waiting - truth.queuedMessages;
    details.lost.push(`${waiting - truth.queuedMessages} waiting job(s) without a queued message`);
    waiting = truth.queuedMessages;
  }

  let rejected = 0;
  for (const input of ledger.bad) {
    const storedBody = input.body.length > 0 ? input.body : '(empty body)';
    if (dlqReasonByBody.get(storedBody)) rejected++;
    else details.badNotRejected.push(input.name);
  }

  return {
    family: ledger.family,
    jobsIn: ledger.valid.size + ledger.bad.length,
    messagesIn: ledger.messages,
    valid: ledger.valid.size,
    badInputs: ledger.bad.length,
    rejected,
    badNotRejected: details.badNotRejected.length,
    sentOnce,
    notSent,
    unknown,
    unknownAccepted,
    unknownAfterReconciliation,
    waiting,
    deadLettered,
    lost,
    sentTwice,
    strayCalls: details.strayCalls.length,
    uncountedCalls,
    figuresOff: details.figuresOff?.length ?? 0,
    apiCalls: truth.calls.length,
    acceptedCalls: truth.calls.filter((c) => c.outcome === 'accepted').length,
    byState,
    details,
  };
}

/**
 * Each recountable counter of each ledger campaign that differs from the recount of its job
 * items, as `campaign counter: counted ≠ recounted`. None when the counters were not read.
 */
function figuresOff(ledger: FaultLedger, truth: GroundTruth): string[] {
  if (!truth.counters) return [];
  const campaigns = new Set([...ledger.valid.values()].map((job) => job.campaignId));
  const recounted = new Map<string, CounterDeltas>();
  for (const job of truth.jobs) {
    if (!campaigns.has(job.campaignId)) continue;
    const totals = recounted.get(job.campaignId) ?? {};
    for (const [name, n] of Object.entries(countsOfJob(job))) totals[name] = (totals[name] ?? 0) + n;
    recounted.set(job.campaignId, totals);
  }
  const off: string[] = [];
  for (const campaignId of campaigns) {
    const counted = truth.counters[campaignId] ?? {};
    const truthful = recounted.get(campaignId) ?? {};
    const names = new Set([...Object.keys(truthful), ...Object.keys(counted).filter(isRecountable)]);
    for (const name of [...names].sort()) {
      if ((counted[name] ?? 0) !== (truthful[name] ?? 0)) off.push(`${campaignId} ${name}: ${counted[name] ?? 0} ≠ ${truthful[name] ?? 0}`);
    }
  }
  return off;
}

/** The columns that must be zero for the suite to pass. */
export function violations(totals: FaultTotals): string[] {
  const problems: string[] = [];
  if (totals.lost > 0) problems.push(`${totals.lost} lost: ${totals.details.lost.slice(0, 10).join('; ')}`);
  if (totals.sentTwice > 0) problems.push(`${totals.sentTwice} sent twice: ${totals.details.sentTwice.slice(0, 10).join('; ')}`);
  if (totals.badNotRejected > 0)
    problems.push(
      `${totals.badNotRejected} bad inputs not dead-lettered with a reason: ${totals.details.badNotRejected.slice(0, 10).join(', ')}`,
    );
  if (totals.strayCalls > 0)
    problems.push(`${totals.strayCalls} MM API calls for no valid job: ${totals.details.strayCalls.slice(0, 10).join('; ')}`);
  if (totals.uncountedCalls > 0)
    problems.push(`${totals.uncountedCalls} MM API calls without a claim: ${totals.details.uncountedCalls.slice(0, 10).join('; ')}`);
  if (totals.figuresOff > 0)
    problems.push(`${totals.figuresOff} campaign counters off the job items: ${totals.details.figuresOff?.slice(0, 10).join('; ')}`);
  return problems;
}

// ---- The run's totals ------------------------------------------------------------------------

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each fault file writes its totals (set by test/helpers/fault-totals-setup.ts). */
    faultTotalsDir: string;
  }
}

/** Writes one file's totals for the run's closing table. */
export function recordTotals(totals: FaultTotals): void {
  const dir = inject('faultTotalsDir');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${totals.family}.json`), JSON.stringify(totals, null, 2));
}

export function readTotals(dir: string): FaultTotals[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as FaultTotals);
}

const COLUMNS: Array<[header: string, value: (t: FaultTotals) => string | number]> = [
  ['family', (t) => t.family],
  ['jobs in', (t) => t.jobsIn],
  ['msgs', (t) => t.messagesIn],
  ['bad→DLQ', (t) => `${t.rejected}/${t.badInputs}`],
  ['sent once', (t) => t.sentOnce],
  ['not sent', (t) => t.notSent],
  ['unknown (Meta took)', (t) => `${t.unknown} (${t.unknownAccepted})`],
  ['unknown after recon.', (t) => t.unknownAfterReconciliation],
  ['waiting', (t) => t.waiting],
  ['DLQ (redrive)', (t) => t.deadLettered],
  ['API calls/accepted', (t) => `${t.apiCalls}/${t.acceptedCalls}`],
  ['LOST', (t) => t.lost],
  ['SENT TWICE', (t) => t.sentTwice],
  ['figures', (t) => (t.figuresOff === 0 ? 'ok' : `${t.figuresOff} off`)],
];

/** The closing table: one row per fault family and a total row. */
export function formatTotalsTable(rows: FaultTotals[]): string {
  const sum = (pick: (t: FaultTotals) => number) => rows.reduce((n, t) => n + pick(t), 0);
  const total: FaultTotals = {
    family: 'TOTAL',
    jobsIn: sum((t) => t.jobsIn),
    messagesIn: sum((t) => t.messagesIn),
    valid: sum((t) => t.valid),
    badInputs: sum((t) => t.badInputs),
    rejected: sum((t) => t.rejected),
    badNotRejected: sum((t) => t.badNotRejected),
    sentOnce: sum((t) => t.sentOnce),
    notSent: sum((t) => t.notSent),
    unknown: sum((t) => t.unknown),
    unknownAccepted: sum((t) => t.unknownAccepted),
    unknownAfterReconciliation: sum((t) => t.unknownAfterReconciliation),
    waiting: sum((t) => t.waiting),
    deadLettered: sum((t) => t.deadLettered),
    lost: sum((t) => t.lost),
    sentTwice: sum((t) => t.sentTwice),
    strayCalls: sum((t) => t.strayCalls),
    uncountedCalls: sum((t) => t.uncountedCalls),
    figuresOff: sum((t) => t.figuresOff ?? 0),
    apiCalls: sum((t) => t.apiCalls),
    acceptedCalls: sum((t) => t.acceptedCalls),
    byState: {},
    details: { lost: [], sentTwice: [], badNotRejected: [], strayCalls: [], uncountedCalls: [] },
  };
  const table = [...rows, total].map((row) => COLUMNS.map(([, value]) => String(value(row))));
  const headers = COLUMNS.map(([header]) => header);
  const widths = headers.map((h, i) => Math.max(h.length, ...table.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(headers), rule, ...table.slice(0, -1).map(line), rule, line(table.at(-1)!)].join('\n');
}
