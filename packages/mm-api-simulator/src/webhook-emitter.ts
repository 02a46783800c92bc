import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { sampleLatency, type WebhookSettings } from './scenario.ts';
import type { TaskTracker } from './task-tracker.ts';
import { wamidsIn } from './webhook-payloads.ts';
import { SIGNATURE_HEADER, serializeWebhookBody, signWebhookBody } from './webhook-signature.ts';

/**
 * Posts signed webhooks to the target the way Meta does: JSON body, `X-Hub-Signature-256` over
 * the raw bytes, anything but HTTP 200 retried with exponential backoff, the occasional
 * duplicate. Keeps a record of every webhook and counts for `webhookStats()`.
 */

/** What a webhook carries: statuses, a Stop/Resume, an inbound message, a template change, or a test's raw payload. */
export type WebhookKind = 'status' | 'user_preferences' | 'message' | 'template' | 'raw';

/** How `emitWebhook` signs: correctly, with a wrong key, or not at all. */
export type SignatureMode = 'valid' | 'invalid' | 'missing';

/** One webhook (a duplicate is a webhook of its own, pointing at the original). */
export interface WebhookDelivery {
  /** 1-based, in order of creation since start or the last reset. */
  seq: number;
  kind: WebhookKind;
  /** Message ids the payload refers to (status ids, inbound ids and their context ids). */
  wamids: string[];
  /** HTTP attempts so far. */
  attempts: number;
  /** HTTP status of the last attempt; undefined before an answer or when the connection failed. */
  lastStatus: number | undefined;
  /** Why the last attempt got no HTTP answer (connection refused, timeout, …). */
  lastError?: string;
  /** True once answered with 200. */
  delivered: boolean;
  /** Creation time, epoch ms on the simulator's clock. */
  at: number;
  url: string;
  /** For a duplicate: `seq` of the webhook it repeats, byte for byte. */
  duplicateOf?: number;
  payload: unknown;
}

/** Counts since start or the last reset. */
export interface WebhookStats {
  /** HTTP POSTs made (every attempt counts). */
  posted: number;
  /** Webhooks answered with 200. */
  delivered: number;
  /** Attempts that were retries after a non-200 or a connection failure. */
  retried: number;
  /** Webhooks given up after `retry.maxAttempts`. */
  failed: number;
  /** Extra copies posted because of `duplicateRate` (or `times` > 1 in `emitWebhook`). */
  duplicates: number;
  /** Events not emitted because there was no target or no `webhooks` settings. */
  dropped: number;
  /** Timers and requests still pending. */
  pending: number;
}

/** A webhook under way: its `seq`, and a promise of its final record (delivered or given up). */
export interface Emission {
  seq: number;
  done: Promise<WebhookDelivery>;
}

/** Options of `emitWebhook`. */
export interface RawEmitOptions {
  /** Default `valid`. */
  signature?: SignatureMode;
  /** POST the same bytes this many times, one after the other (default 1). */
  times?: number;
}

/** What `emitWebhook` resolves to: one answer per POST; status 0 when the connection failed. */
export interface RawEmitAnswer {
  status: number;
  error?: string;
}

/** Settings and collaborators of a {@link WebhookEmitter}. */
export interface WebhookEmitterOptions {
  /** The scenario's `webhooks`, read at each emission so that a new scenario takes effect. */
  settings: () => WebhookSettings | undefined;
  tasks: TaskTracker;
  now: () => number;
  random: () => number;
  /** Records kept for `deliveries()`; older ones are dropped (stats stay exact). */
  maxRecorded: number;
}

type AttemptResult = { status: number; error?: undefined } | { status: undefined; error: string };

/** Meta's timeout is unpublished; a receiver this slow is broken for Meta's purposes anyway. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** Meta's crawler user agent, which some receivers log or allow-list. */
const USER_AGENT = 'facebookexternalua';

/**
 * Validates a webhook target URL.
 *
 * @throws TypeError for anything but an absolute http(s) URL.
 */
export function parseWebhookTarget(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Webhook target must be an absolute URL, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`Webhook target must be http or https, got "${url}"`);
  }
  return parsed;
}

/** Signs, posts, retries and duplicates webhooks, and records each one. */
export class WebhookEmitter {
  private readonly options: WebhookEmitterOptions;
  private targetUrl: URL | undefined;
  private records: WebhookDelivery[] = [];
  private counts = { posted: 0, delivered: 0, retried: 0, failed: 0, duplicates: 0, dropped: 0 };
  private lastSeq = 0;
  /** Bumped by reset(): answers to requests from before it must not touch the new state. */
  private generation = 0;
  private abort = new AbortController();
  /** Resolvers of emissions still under way, settled early by reset() and stop(). */
  private readonly unfinished = new Map<number, () => void>();
  private readonly agents = {
    // Own agents so that stop() can destroy their keep-alive sockets.
    http: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };
  private stopped = false;

  constructor(options: WebhookEmitterOptions) {
    this.options = options;
  }

  /**
   * Sets (or with undefined, removes) the URL webhooks go to. Webhooks already under way keep
   * the URL they started with.
   *
   * @throws TypeError for anything but an absolute http(s) URL.
   */
  setTarget(url: string | undefined): void {
    this.targetUrl = url === undefined ? undefined : parseWebhookTarget(url);
  }

  target(): string | undefined {
    return this.targetUrl?.href;
  }

  /** The settings to emit with, or undefined when there is no target or no `webhooks` settings. */
  activeSettings(): WebhookSettings | undefined {
    if (this.stopped || this.targetUrl === undefined) return undefined;
    return this.options.settings();
  }

  /** Counts events that could not be emitted. */
  noteDropped(count = 1): void {
    this.counts.dropped += count;
  }

  /**
   * Signs and posts `payload`, retrying until a 200 or `retry.maxAttempts`; may post a
   * duplicate afterwards. Undefined (and counted as dropped) without a target or settings.
   */
  emit(kind: Exclude<WebhookKind, 'raw'>, payload: object): Emission | undefined {
    const settings = this.activeSettings();
    const url = this.targetUrl;
    if (!settings || !url) {
      this.noteDropped();
      return undefined;
    }
    return this.start({ kind, payload, body: serializeWebhookBody(payload), url, settings });
  }

  /**
   * Posts `payload` (an object is serialised as Meta does; a string is sent as is) `times`
   * times in a row without retries, and returns every answer.
   *
   * @throws Error without a target, or when signing needs the app secret and there are no `webhooks` settings.
   */
  async emitRaw(payload: object | string, options: RawEmitOptions = {}): Promise<RawEmitAnswer[]> {
    const { signature = 'valid', times = 1 } = options;
    const url = this.targetUrl;
    if (this.stopped) throw new Error('The simulator is stopped');
    if (!url) throw new Error('No webhook target: call setWebhookTarget(url) first');
    const settings = this.options.settings();
    if (signature === 'valid' && !settings) throw new Error('Signing needs the scenario field webhooks.appSecret');
    const body = typeof payload === 'string' ? payload : serializeWebhookBody(payload);
    const header =
      signature === 'missing' ? undefined : signWebhookBody(body, signature === 'valid' && settings ? settings.appSecret : randomUUID());
    const parsed = typeof payload === 'string' ? safeParse(payload) : payload;

    const answers: RawEmitAnswer[] = [];
    let firstSeq: number | undefined;
    for (let i = 0; i < Math.max(1, times); i += 1) {
      const record = this.newRecord('raw', parsed, url, firstSeq);
      firstSeq ??= record.seq;
      if (i > 0) this.counts.duplicates += 1;
      const result = await this.options.tasks.track(this.post(url, body, header));
      this.noteAttempt(record, result);
      if (record.delivered) this.counts.delivered += 1;
      answers.push(result.status === undefined ? { status: 0, error: result.error } : { status: result.status });
    }
    return answers;
  }

  /** Every recorded webhook, oldest first (copies). */
  deliveries(): WebhookDelivery[] {
    return this.records.map((record) => ({ ...record, wamids: [...record.wamids] }));
  }

  stats(): WebhookStats {
    return { ...this.counts, pending: this.options.tasks.pending };
  }

  /** Forgets records and counts and abandons webhooks under way (their timers are the tracker's to clear). */
  reset(): void {
    this.generation += 1;
    this.abort.abort();
    this.abort = new AbortController();
    this.settleUnfinished();
    this.records = [];
    this.counts = { posted: 0, delivered: 0, retried: 0, failed: 0, duplicates: 0, dropped: 0 };
    this.lastSeq = 0;
  }

  /** Aborts requests in flight and closes pooled connections; emits nothing afterwards. */
  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.abort.abort();
    this.settleUnfinished();
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private start(job: {
    kind: WebhookKind;
    payload: object;
    body: string;
    url: URL;
    settings: WebhookSettings;
    duplicateOf?: number;
  }): Emission {
    const record = this.newRecord(job.kind, job.payload, job.url, job.duplicateOf);
    const header = signWebhookBody(job.body, job.settings.appSecret);
    const generation = this.generation;
    const done = new Promise<WebhookDelivery>((resolve) => {
      const finish = (): void => {
        this.unfinished.delete(record.seq);
        resolve({ ...record, wamids: [...record.wamids] });
      };
      this.unfinished.set(record.seq, finish);

      const attempt = (): void => {
        void this.options.tasks.track(this.post(job.url, job.body, header)).then((result) => {
          if (generation !== this.generation) return; // reset() or stop() already settled it
          this.noteAttempt(record, result);
          if (record.delivered) {
            this.counts.delivered += 1;
            if (job.duplicateOf === undefined && this.options.random() < job.settings.duplicateRate) {
              this.options.tasks.schedule(sampleLatency(job.settings.delayMs, this.options.random), () => {
                if (generation !== this.generation) return;
                this.counts.duplicates += 1;
                this.start({ ...job, duplicateOf: record.seq });
              });
            }
            return finish();
          }
          if (record.attempts >= job.settings.retry.maxAttempts) {
            this.counts.failed += 1;
            return finish();
          }
          this.counts.retried += 1;
          this.options.tasks.schedule(job.settings.retry.initialDelayMs * 2 ** (record.attempts - 1), attempt);
        });
      };
      attempt();
    });
    return { seq: record.seq, done };
  }

  private newRecord(kind: WebhookKind, payload: unknown, url: URL, duplicateOf: number | undefined): WebhookDelivery {
    this.lastSeq += 1;
    const record: WebhookDelivery = {
      seq: this.lastSeq,
      kind,
      wamids: wamidsIn(payload),
      attempts: 0,
      lastStatus: undefined,
      delivered: false,
      at: Math.floor(this.options.now()),
      url: url.href,
      ...(duplicateOf !== undefined ? { duplicateOf } : {}),
      payload,
    };
    this.records.push(record);
    if (this.records.length > this.options.maxRecorded) {
      // Dropping in chunks keeps the cost of the copy amortised.
      this.records = this.records.slice(Math.ceil(this.options.maxRecorded / 10));
    }
    return record;
  }

  private noteAttempt(record: WebhookDelivery, result: AttemptResult): void {
    record.attempts += 1;
    this.counts.posted += 1;
    record.lastStatus = result.status;
    if (result.error !== undefined) record.lastError = result.error;
    else delete record.lastError;
    // Meta counts only 200 as delivered, not any 2xx.
    record.delivered = result.status === 200;
  }

  private settleUnfinished(): void {
    for (const finish of [...this.unfinished.values()]) finish();
  }

  /** One POST; never rejects. */
  private post(url: URL, body: string, signature: string | undefined): Promise<AttemptResult> {
    return new Promise((resolve) => {
      const bytes = Buffer.from(body, 'utf8');
      const headers: Record<string, string | number> = {
        'content-type': 'application/json',
        'content-length': bytes.length,
        'user-agent': USER_AGENT,
      };
      if (signature !== undefined) headers[SIGNATURE_HEADER] = signature;
      const secure = url.protocol === 'https:';
      const request = (secure ? https : http).request(
        url,
        { method: 'POST', headers, agent: secure ? this.agents.https : this.agents.http, signal: this.abort.signal },
        (response) => {
          const status = response.statusCode ?? 0;
          response.on('error', () => resolve({ status }));
          response.on('end', () => resolve({ status }));
          response.resume(); // the answer's body is of no interest, but must be read to free the socket
        },
      );
      request.setTimeout(ATTEMPT_TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS} ms`)));
      request.on('error', (error) => resolve({ status: undefined, error: error.message }));
      request.end(bytes);
    });
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
