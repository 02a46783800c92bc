import type { IncomingMessage, ServerResponse } from 'node:http';
import { ZodError } from 'zod';
import type { SimulatedCall, SimulatorStats } from './call-log.ts';
import { parseJson, readBody, writeJson } from './http-io.ts';
import { canonicalRecipient } from './rules.ts';
import { type Scenario, ScenarioError } from './scenario.ts';
import type { TemplateTranslation } from './template-catalog.ts';
import { UnknownTemplateError } from './template-events.ts';
import { UnknownWamidError } from './user-events.ts';
import type { WebhookDelivery, WebhookStats } from './webhook-emitter.ts';
import type { MarketingPreference } from './webhook-payloads.ts';

/** Path prefix of the simulator's own endpoints; Graph never uses it. */
export const CONTROL_PREFIX = '/_sim/';

/** The parts of the simulator the control endpoints drive. */
export interface SimulatorControl {
  calls(): SimulatedCall[];
  stats(): SimulatorStats;
  scenario(): Scenario;
  setScenario(input: unknown, source: string): Scenario;
  reset(): void;
  /** @throws TypeError for a URL that is not absolute http(s). */
  setWebhookTarget(url: string | undefined): void;
  webhookTarget(): string | undefined;
  webhookDeliveries(): WebhookDelivery[];
  webhookStats(): WebhookStats;
  /** These return the `seq` of the webhook they started, or undefined when none was emitted. */
  emitUserPreference(waId: string, value: MarketingPreference): number | undefined;
  /** @throws UnknownWamidError for a wamid the call log does not hold. */
  emitQuickReply(wamid: string, payload: string, text?: string): number | undefined;
  emitTextMessage(from: string, body: string): number | undefined;
  templates(): TemplateTranslation[];
  /**
   * Changes a template and returns the `seq`s of the webhooks it started.
   * @throws UnknownTemplateError for an unknown id; ZodError for an invalid change.
   */
  updateTemplate(id: string, change: unknown): number[];
}

const TEMPLATE_ROUTE = /^POST templates\/(\d{1,20})$/;

/** `POST /_sim/templates/{id}`: "Meta changed the template" (status, quality score, category). */
async function updateTemplateRoute(
  request: IncomingMessage,
  response: ServerResponse,
  id: string,
  control: SimulatorControl,
): Promise<void> {
  const body = await readObject(request, response);
  if (!body) return;
  try {
    const webhookSeqs = control.updateTemplate(id, body);
    const template = control.templates().find((candidate) => candidate.id === id);
    return writeJson(response, 200, { ok: true, template, webhookSeqs });
  } catch (error) {
    if (error instanceof UnknownTemplateError) return controlError(response, 404, error.message);
    if (error instanceof ZodError) {
      const issues = error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      return controlError(response, 400, 'Invalid template change.', issues);
    }
    throw error;
  }
}

function controlError(response: ServerResponse, status: number, message: string, issues?: readonly string[]): void {
  writeJson(response, status, { error: { message, ...(issues ? { issues } : {}) } });
}

/** Filters `GET /_sim/calls` by `recipient` (compared by digits), `outcome` and `limit` (the latest N). */
function filterCalls(calls: SimulatedCall[], query: URLSearchParams): SimulatedCall[] {
  let selected = calls;
  const recipient = query.get('recipient');
  if (recipient !== null) {
    const key = canonicalRecipient(recipient);
    selected = selected.filter((call) => call.recipient !== undefined && canonicalRecipient(call.recipient) === key);
  }
  const outcome = query.get('outcome');
  if (outcome !== null) selected = selected.filter((call) => String(call.outcome) === outcome);
  const limit = Number(query.get('limit'));
  if (Number.isInteger(limit) && limit > 0) selected = selected.slice(-limit);
  return selected;
}

/** Filters `GET /_sim/webhooks` by `kind`, `wamid` and `limit` (the latest N). */
function filterWebhooks(deliveries: WebhookDelivery[], query: URLSearchParams): WebhookDelivery[] {
  let selected = deliveries;
  const kind = query.get('kind');
  if (kind !== null) selected = selected.filter((delivery) => delivery.kind === kind);
  const wamid = query.get('wamid');
  if (wamid !== null) selected = selected.filter((delivery) => delivery.wamids.includes(wamid));
  const limit = Number(query.get('limit'));
  if (Number.isInteger(limit) && limit > 0) selected = selected.slice(-limit);
  return selected;
}

type JsonObject = Record<string, unknown>;

/** The body as a JSON object, or undefined (after answering 400) when it is not one. */
async function readObject(request: IncomingMessage, response: ServerResponse): Promise<JsonObject | undefined> {
  const body = await readBody(request);
  const json = body.ok ? parseJson(body.text) : { ok: false as const };
  if (json.ok && typeof json.value === 'object' && json.value !== null && !Array.isArray(json.value)) return json.value as JsonObject;
  controlError(response, 400, 'The body must be a JSON object.');
  return undefined;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Answers a user-event endpoint with the webhook it started (or `null` when none was emitted). */
function emitted(response: ServerResponse, seq: number | undefined): void {
  writeJson(response, 200, { ok: true, webhookSeq: seq ?? null });
}

/**
 * Serves `/_sim/*`: `GET calls`, `GET stats`, `GET health`, `GET|POST scenario`, `POST reset`,
 * `GET webhooks`, `POST webhook-target`, `POST user-preference`, `POST quick-reply`,
 * `POST text-message`, `GET templates`, `POST templates/{id}`. No auth: the simulator only
 * listens on loopback.
 */
export async function handleControlRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: URLSearchParams,
  control: SimulatorControl,
): Promise<void> {
  const route = `${request.method ?? 'GET'} ${path.slice(CONTROL_PREFIX.length)}`;
  const templateRoute = TEMPLATE_ROUTE.exec(route);
  if (templateRoute) return updateTemplateRoute(request, response, templateRoute[1] ?? '', control);
  switch (route) {
    case 'GET templates':
      return writeJson(response, 200, { templates: control.templates() });
    case 'GET health':
      return writeJson(response, 200, { ok: true });
    case 'GET calls':
      return writeJson(response, 200, { calls: filterCalls(control.calls(), query) });
    case 'GET stats':
      return writeJson(response, 200, control.stats());
    case 'GET scenario':
      return writeJson(response, 200, control.scenario());
    case 'POST reset':
      await readBody(request);
      control.reset();
      return writeJson(response, 200, { ok: true });
    case 'POST scenario': {
      const body = await readBody(request);
      const json = body.ok ? parseJson(body.text) : { ok: false as const };
      if (!json.ok) return controlError(response, 400, 'The body must be a scenario as JSON.');
      try {
        return writeJson(response, 200, { ok: true, scenario: control.setScenario(json.value, 'POST /_sim/scenario') });
      } catch (error) {
        if (error instanceof ScenarioError) return controlError(response, 400, error.message, error.issues);
        throw error;
      }
    }
    case 'GET webhooks':
      return writeJson(response, 200, {
        target: control.webhookTarget() ?? null,
        stats: control.webhookStats(),
        deliveries: filterWebhooks(control.webhookDeliveries(), query),
      });
    case 'POST webhook-target': {
      const body = await readObject(request, response);
      if (!body) return;
      if (body.url !== null && typeof body.url !== 'string') return controlError(response, 400, 'url must be an http(s) URL or null.');
      try {
        control.setWebhookTarget(body.url ?? undefined);
      } catch (error) {
        if (error instanceof TypeError) return controlError(response, 400, error.message);
        throw error;
      }
      return writeJson(response, 200, { ok: true, target: control.webhookTarget() ?? null });
    }
    case 'POST user-preference': {
      const body = await readObject(request, response);
      if (!body) return;
      if (!isNonEmptyString(body.waId) || (body.value !== 'stop' && body.value !== 'resume')) {
        return controlError(response, 400, 'The body must be { "waId": "<digits>", "value": "stop" | "resume" }.');
      }
      return emitted(response, control.emitUserPreference(body.waId, body.value));
    }
    case 'POST quick-reply': {
      const body = await readObject(request, response);
      if (!body) return;
      if (!isNonEmptyString(body.wamid) || !isNonEmptyString(body.payload) || (body.text !== undefined && typeof body.text !== 'string')) {
        return controlError(response, 400, 'The body must be { "wamid": "wamid.…", "payload": "…", "text"?: "…" }.');
      }
      try {
        return emitted(response, control.emitQuickReply(body.wamid, body.payload, body.text));
      } catch (error) {
        if (error instanceof UnknownWamidError) return controlError(response, 404, error.message);
        throw error;
      }
    }
    case 'POST text-message': {
      const body = await readObject(request, response);
      if (!body) return;
      if (!isNonEmptyString(body.from) || !isNonEmptyString(body.body)) {
        return controlError(response, 400, 'The body must be { "from": "<digits>", "body": "…" }.');
      }
      return emitted(response, control.emitTextMessage(body.from, body.body));
    }
    default:
      return controlError(response, 404, `No simulator control endpoint ${route}`);
  }
}
