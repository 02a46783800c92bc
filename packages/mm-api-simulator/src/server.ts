import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CallListener, CallLog, type SimulatedCall, type SimulatorStats } from './call-log.ts';
import { CONTROL_PREFIX, handleControlRequest, type SimulatorControl } from './control-api.ts';
import { answerGraph, GRAPH_OBJECT_PATH, type GraphRequest } from './graph-api.ts';
import { parseJson, readBody, writeJson } from './http-io.ts';
import type { SendEndpoint } from './request-validation.ts';
import { errorAnswer, type MetaErrorBody, unknownPathAnswer } from './responses.ts';
import { parseScenario, type Scenario, type ScenarioInput } from './scenario.ts';
import { type SendAction, SendPipeline } from './send-pipeline.ts';
import type { TemplateTranslation } from './template-catalog.ts';
import { applyTemplateChange, type TemplateChange, templateChangeSchema } from './template-events.ts';
import { UserState } from './user-state.ts';
import type { RawEmitAnswer, RawEmitOptions, WebhookDelivery, WebhookStats } from './webhook-emitter.ts';
import { WebhookHub } from './webhook-hub.ts';
import type { MarketingPreference } from './webhook-payloads.ts';

/** Server settings that are not part of the scenario. */
export interface SimulatorServerOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Defaults to 127.0.0.1: the simulator has no auth on its control endpoints. */
  host?: string;
  /** Clock in ms since the epoch (fractions allowed); tests inject one to step time exactly. */
  now?: () => number;
  /** Calls kept for `calls()`; older ones are dropped (stats stay exact). Default 200,000. */
  maxRecordedCalls?: number;
  /** Webhooks kept for `webhookDeliveries()`; older ones are dropped (stats stay exact). Default 100,000. */
  maxRecordedWebhooks?: number;
  /** Random numbers in [0, 1) for webhook delays, duplicates and reordering; tests may seed one. */
  random?: () => number;
}

/**
 * Options of {@link startSimulator}: the initial scenario's fields (all optional, see
 * scenario.ts) plus server settings. `{ ...loadScenario(path), port: 4010 }` works.
 */
export type SimulatorOptions = ScenarioInput & SimulatorServerOptions;

/** A running simulator. */
export interface Simulator {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Closes the server and every socket, including held (`timeout`) ones, and cancels pending answers. */
  stop(): Promise<void>;
  /** Validates and installs a new scenario; clears rate and rule state, keeps the recorded calls. @throws ScenarioError */
  setScenario(scenario: ScenarioInput): Scenario;
  /** The scenario in force, defaults filled in. */
  scenario(): Scenario;
  /** Clears recorded calls, stats, throughput and pair-rate state and `times` counters. */
  reset(): void;
  /** Every recorded send, oldest first. */
  calls(): SimulatedCall[];
  /** Accepted sends to `recipient`, compared by digits (`+49…` equals `49…`). */
  acceptedFor(recipient: string): SimulatedCall[];
  stats(): SimulatorStats;
  /** Calls `listener` after every send is decided. */
  onCall(listener: CallListener): () => void;

  /**
   * Where webhooks go (known only once the receiver listens); undefined stops emitting. Needs
   * the scenario's `webhooks` too: without both, nothing is emitted and lifecycle events are
   * dropped. Webhooks already under way keep their URL.
   * @throws TypeError for anything but an absolute http(s) URL.
   */
  setWebhookTarget(url: string | undefined): void;
  webhookTarget(): string | undefined;
  /**
   * Posts any payload (an object serialised as Meta does, or a string sent byte for byte),
   * signed with the app secret unless told otherwise, `times` times in a row, without retries.
   * Resolves to the receiver's answers (status 0: no HTTP answer).
   * @throws Error without a target, or for a valid signature without `webhooks.appSecret`.
   */
  emitWebhook(payload: object | string, options?: RawEmitOptions): Promise<RawEmitAnswer[]>;
  /**
   * The user presses Stop or Resume: sets the opt-out state (marketing sends after a `stop` fail
   * with 131050) and emits the `user_preferences` webhook. Resolves when that webhook is
   * delivered or given up; undefined when nothing was emitted (no target or no `webhooks`).
   */
  emitUserPreference(waId: string, value: MarketingPreference): Promise<WebhookDelivery | undefined>;
  /**
   * The recipient of `wamid` taps a quick-reply button (`text` defaults to `payload`). Rejects
   * when `wamid` is not an accepted send the call log still holds.
   */
  emitQuickReply(wamid: string, payload: string, text?: string): Promise<WebhookDelivery | undefined>;
  /** `from` sends the business a text; the number is the one that last messaged `from`, else the first. */
  emitTextMessage(from: string, body: string): Promise<WebhookDelivery | undefined>;
  /** True while `waId` has stopped marketing messages (compared by digits). */
  hasStoppedMarketing(waId: string): boolean;
  /** Every recorded webhook, oldest first. */
  webhookDeliveries(): WebhookDelivery[];
  webhookStats(): WebhookStats;
  /** Resolves once no webhook is scheduled, being retried or in flight. */
  webhooksIdle(): Promise<void>;
  /** Every template translation with its current status, quality score, TTL and edits. */
  templates(): TemplateTranslation[];
  /**
   * "Meta changed the template": sets its status, quality score or category (sends and Graph
   * reads follow at once) and emits the matching template webhooks. Resolves to their final
   * records (none without a target or `webhooks`).
   * @throws UnknownTemplateError for an unknown id; ZodError for an invalid change.
   */
  updateTemplate(id: string, change: TemplateChange): Promise<WebhookDelivery[]>;
}

const SEND_PATH = /^\/(v\d+\.\d+)\/([^/]+)\/(marketing_messages|messages)\/?$/;
const DEFAULT_MAX_RECORDED_CALLS = 200_000;
const DEFAULT_MAX_RECORDED_WEBHOOKS = 100_000;
const defaultClock = (): number => performance.timeOrigin + performance.now();

/** A Graph POST's parameters: the query's (but the token) overlaid by a JSON or form body. */
function graphParams(query: URLSearchParams, bodyText: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [key, value] of query) if (key !== 'access_token') params[key] = value;
  const json = parseJson(bodyText);
  if (json.ok && typeof json.value === 'object' && json.value !== null && !Array.isArray(json.value)) return { ...params, ...json.value };
  for (const [key, value] of new URLSearchParams(bodyText)) params[key] = value;
  // Form and query values are strings; Graph reads numeric parameters from them.
  const ttl = params.message_send_ttl_seconds;
  if (typeof ttl === 'string' && /^-?\d+$/.test(ttl)) params.message_send_ttl_seconds = Number(ttl);
  return params;
}

function bearerToken(request: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? '';
  }
  // Graph also takes the token as a query parameter.
  return query.get('access_token') ?? undefined;
}

/** Writes a Graph answer; a 401 also names the OAuth failure in WWW-Authenticate, as Graph does. */
function writeAnswer(response: ServerResponse, status: number, body: object): void {
  const message = status === 401 ? (body as Partial<MetaErrorBody>).error?.message : undefined;
  const headers: Record<string, string> = message ? { 'www-authenticate': `OAuth "Facebook Platform" "invalid_token" "${message}"` } : {};
  writeJson(response, status, body, headers);
}

/**
 * Starts the MM API simulator on `host:port` and resolves once it listens.
 *
 * @throws ScenarioError when the scenario fields in `options` are invalid.
 * @example
 * const sim = await startSimulator({ phoneNumbers: [{ id: '100000000000001', ratePerSecond: 20 }] });
 * await fetch(`${sim.url}/v24.0/100000000000001/marketing_messages`, { method: 'POST', ... });
 * await sim.stop();
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const {
    port = 0,
    host = '127.0.0.1',
    now = defaultClock,
    maxRecordedCalls = DEFAULT_MAX_RECORDED_CALLS,
    maxRecordedWebhooks = DEFAULT_MAX_RECORDED_WEBHOOKS,
    random = Math.random,
    ...scenarioInput
  } = options;
  const users = new UserState();
  let pipeline = new SendPipeline(parseScenario(scenarioInput, 'startSimulator options'), now, users);
  const log = new CallLog(maxRecordedCalls);
  const webhooks = new WebhookHub({ scenario: () => pipeline.scenario, calls: log, users, now, random, maxRecorded: maxRecordedWebhooks });
  log.subscribe((call) => webhooks.handleCall(call));
  const pendingAnswers = new Set<NodeJS.Timeout>();
  let stopped: Promise<void> | undefined;

  function perform(action: SendAction, request: IncomingMessage, response: ServerResponse): void {
    if (action.kind === 'timeout') return; // the socket stays open until the client gives up or stop()
    const finish = (): void => {
      if (action.kind === 'reset') request.socket.resetAndDestroy();
      else writeAnswer(response, action.status, action.body);
    };
    if (action.latencyMs <= 0) {
      finish();
      return;
    }
    const timer = setTimeout(() => {
      pendingAnswers.delete(timer);
      finish();
    }, action.latencyMs);
    pendingAnswers.add(timer);
  }

  async function handleSend(
    request: IncomingMessage,
    response: ServerResponse,
    route: { apiVersion: string; phoneNumberId: string; endpoint: SendEndpoint },
    query: URLSearchParams,
  ): Promise<void> {
    const body = await readBody(request);
    // The client left before sending its body: nothing reached "Meta", so nothing is recorded.
    if (!body.ok && body.reason === 'aborted') return;
    const json = body.ok ? parseJson(body.text) : { ok: false as const };
    const decision = pipeline.decide({
      ...route,
      accessToken: bearerToken(request, query),
      body: json.ok ? json.value : undefined,
      invalidJson: !json.ok,
    });
    log.record({ seq: log.nextSeq(), ...decision.call });
    perform(decision.action, request, response);
  }

  async function handleGraph(
    request: IncomingMessage,
    response: ServerResponse,
    match: RegExpExecArray,
    query: URLSearchParams,
  ): Promise<void> {
    const method = request.method ?? 'GET';
    const body = await readBody(request);
    if (!body.ok && body.reason === 'aborted') return;
    const graphRequest: GraphRequest = {
      method,
      objectId: match[2] ?? '',
      edge: match[3] === 'message_templates' ? 'message_templates' : undefined,
      query,
      accessToken: bearerToken(request, query),
      params: method === 'POST' ? graphParams(query, body.ok ? body.text : '') : {},
      url: new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`),
    };
    const answer = answerGraph(graphRequest, {
      acceptsToken: (token) => pipeline.acceptsToken(token),
      templates: pipeline.templates,
      phoneNumbers: pipeline.scenario.phoneNumbers,
    });
    writeAnswer(response, answer.status, answer.body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const [path = '/', queryText = ''] = (request.url ?? '/').split('?', 2);
    const query = new URLSearchParams(queryText);
    if (path.startsWith(CONTROL_PREFIX)) return handleControlRequest(request, response, path, query, control);

    const send = SEND_PATH.exec(path);
    const graph = send ? null : GRAPH_OBJECT_PATH.exec(path);
    if (graph) return handleGraph(request, response, graph, query);
    if (!send) {
      request.resume();
      const answer = unknownPathAnswer(path);
      return writeAnswer(response, answer.status, answer.body);
    }
    const [, apiVersion = '', phoneNumberId = '', endpoint = 'messages'] = send;
    if (request.method !== 'POST') {
      request.resume();
      const answer = errorAnswer(100, {
        title: `Unsupported ${(request.method ?? 'get').toLowerCase()} request.`,
        type: 'GraphMethodException',
        subcode: 33,
        graphLevel: true,
      });
      return writeAnswer(response, answer.status, answer.body);
    }
    return handleSend(request, response, { apiVersion, phoneNumberId, endpoint: endpoint as SendEndpoint }, query);
  }

  const control: SimulatorControl = {
    calls: () => log.all(),
    stats: () => log.stats(),
    scenario: () => pipeline.scenario,
    setScenario: (input, source) => {
      pipeline = new SendPipeline(parseScenario(input, source), now, users);
      return pipeline.scenario;
    },
    reset: () => {
      log.clear();
      users.clear();
      webhooks.reset();
      pipeline = new SendPipeline(pipeline.scenario, now, users);
    },
    setWebhookTarget: (url) => webhooks.setTarget(url),
    webhookTarget: () => webhooks.target(),
    webhookDeliveries: () => webhooks.deliveries(),
    webhookStats: () => webhooks.stats(),
    emitUserPreference: (waId, value) => webhooks.userPreference(waId, value)?.seq,
    emitQuickReply: (wamid, payload, text) => webhooks.quickReply(wamid, payload, text)?.seq,
    emitTextMessage: (from, body) => webhooks.textMessage(from, body)?.seq,
    templates: () => pipeline.templates.all(),
    updateTemplate: (id, change) => updateTemplate(id, change).emissions.map((emission) => emission.seq),
  };

  function updateTemplate(id: string, change: unknown): ReturnType<typeof applyTemplateChange> {
    const parsed = templateChangeSchema.parse(change);
    return applyTemplateChange({
      catalog: pipeline.templates,
      id,
      change: parsed,
      now,
      emit: (payload) => webhooks.templateEvent(payload),
    });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the simulator must not look like a Meta answer the client might retry forever on.
      console.error('[simulator] internal error:', error);
      writeJson(response, 500, { error: { message: `Simulator internal error: ${String(error)}`, type: 'SimulatorError', code: -1 } });
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url,
    port: address.port,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        webhooks.stop();
        for (const timer of pendingAnswers) clearTimeout(timer);
        pendingAnswers.clear();
        server.close(() => resolve());
        // close() alone waits for keep-alive and held connections; these must go now.
        server.closeAllConnections();
      });
      return stopped;
    },
    setScenario: (scenario) => control.setScenario(scenario, 'setScenario'),
    scenario: control.scenario,
    reset: control.reset,
    calls: control.calls,
    acceptedFor: (recipient) => log.acceptedFor(recipient),
    stats: control.stats,
    onCall: (listener) => log.subscribe(listener),
    setWebhookTarget: control.setWebhookTarget,
    webhookTarget: control.webhookTarget,
    emitWebhook: (payload, emitOptions) => webhooks.emitRaw(payload, emitOptions),
    emitUserPreference: async (waId, value) => webhooks.userPreference(waId, value)?.done,
    emitQuickReply: async (wamid, payload, text) => webhooks.quickReply(wamid, payload, text)?.done,
    emitTextMessage: async (from, body) => webhooks.textMessage(from, body)?.done,
    hasStoppedMarketing: (waId) => webhooks.hasStoppedMarketing(waId),
    webhookDeliveries: control.webhookDeliveries,
    webhookStats: control.webhookStats,
    webhooksIdle: () => webhooks.idle(),
    templates: control.templates,
    updateTemplate: async (id, change) => Promise.all(updateTemplate(id, change).emissions.map((emission) => emission.done)),
  };
}
