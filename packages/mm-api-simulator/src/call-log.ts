import type { DeliveryPlan } from './delivery-planner.ts';
import type { SendEndpoint } from './request-validation.ts';
import type { MessageStatus } from './responses.ts';
import { canonicalRecipient } from './rules.ts';
import type { AsyncOutcome } from './scenario.ts';

/** How a send ended: accepted, a Meta error code, held without an answer, or connection reset. */
export type CallOutcome = 'accepted' | number | 'timeout' | 'reset';

/** The scenario rule that decided a send (kept so that later webhook outcomes can follow from it). */
export interface MatchedRuleSummary {
  /** Position in the scenario's `rules`. */
  index: number;
  name: string | undefined;
  /** The rule's webhook outcome, e.g. `{ failWith: 131049 }`. */
  async: AsyncOutcome | undefined;
}

/** One request to a send endpoint, as the simulator saw and answered it. */
export interface SimulatedCall {
  /** 1-based arrival order since start or the last reset. */
  seq: number;
  /** Arrival time, ms since the epoch. */
  at: number;
  endpoint: SendEndpoint;
  apiVersion: string;
  phoneNumberId: string;
  /** `to` (or `recipient`) exactly as sent; undefined when the body had none. */
  recipient: string | undefined;
  template: string | undefined;
  language: string | undefined;
  outcome: CallOutcome;
  /** Undefined for `timeout` and `reset`, which send no HTTP answer. */
  httpStatus: number | undefined;
  wamid?: string;
  messageStatus?: MessageStatus;
  rule?: MatchedRuleSummary;
  /** Accepted sends only: what happens to the message after the 200 (the status webhooks follow it). */
  delivery?: DeliveryPlan;
  /** Delay added before answering. */
  latencyMs: number;
  /** Parsed JSON body; undefined when it was not valid JSON. */
  body: unknown;
}

/** Counts by outcome; keys are `accepted`, `timeout`, `reset` and error codes as strings. */
export interface SimulatorStats {
  total: number;
  byOutcome: Record<string, number>;
  /** Calls still listed by `calls()` (older ones are dropped past the recording cap). */
  recorded: number;
}

/** Called with each send once it is decided and recorded. */
export type CallListener = (call: SimulatedCall) => void;

/**
 * Records calls for tests and the control endpoints. Counts stay exact even after old
 * records are dropped past `maxRecorded`, which bounds memory on long runs.
 */
export class CallLog {
  private readonly maxRecorded: number;
  private records: SimulatedCall[] = [];
  private byOutcome = new Map<string, number>();
  private total = 0;
  private readonly listeners = new Set<CallListener>();

  constructor(maxRecorded: number) {
    this.maxRecorded = maxRecorded;
  }

  /** The sequence number the next call gets. */
  nextSeq(): number {
    return this.total + 1;
  }

  record(call: SimulatedCall): void {
    this.total += 1;
    const key = String(call.outcome);
    this.byOutcome.set(key, (this.byOutcome.get(key) ?? 0) + 1);
    this.records.push(call);
    if (this.records.length > this.maxRecorded) {
      // Dropping in chunks keeps the cost of the copy amortised.
      this.records = this.records.slice(Math.ceil(this.maxRecorded / 10));
    }
    for (const listener of this.listeners) listener(call);
  }

  all(): SimulatedCall[] {
    return [...this.records];
  }

  /** Accepted calls to `recipient`, comparing numbers by their digits (`+49…` equals `49…`). */
  acceptedFor(recipient: string): SimulatedCall[] {
    const key = canonicalRecipient(recipient);
    return this.records.filter(
      (call) => call.outcome === 'accepted' && call.recipient !== undefined && canonicalRecipient(call.recipient) === key,
    );
  }

  /** The recorded accepted call that got `wamid`, if it is still recorded. */
  findByWamid(wamid: string): SimulatedCall | undefined {
    return this.records.findLast((call) => call.wamid === wamid);
  }

  /** The latest recorded accepted call to `recipient` (compared by digits), if any. */
  latestAcceptedFor(recipient: string): SimulatedCall | undefined {
    const key = canonicalRecipient(recipient);
    return this.records.findLast(
      (call) => call.outcome === 'accepted' && call.recipient !== undefined && canonicalRecipient(call.recipient) === key,
    );
  }

  stats(): SimulatorStats {
    return { total: this.total, byOutcome: Object.fromEntries(this.byOutcome), recorded: this.records.length };
  }

  /** Calls `listener` after each recorded call; returns the function that unsubscribes it. */
  subscribe(listener: CallListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.records = [];
    this.byOutcome = new Map();
    this.total = 0;
  }
}
