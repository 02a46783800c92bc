import { type GraphObjectKind, PHONE_NUMBER_KIND, requestedFields, TEMPLATE_KIND, unknownField, viewOf } from './graph-objects.ts';
import { errorAnswer } from './responses.ts';
import type { ScenarioPhoneNumber } from './scenario.ts';
import type { TemplateCatalog, TemplateTranslation } from './template-catalog.ts';

/**
 * Meta's Graph calls a sender makes before a campaign: read a template, list a WABA's templates,
 * set a template's `message_send_ttl_seconds`, read a business phone number. Auth is checked as
 * on the send endpoints; errors have Graph's shapes.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/time-to-live
 */

/** `/{version}/{object-id}` or `/{version}/{waba-id}/message_templates`. */
export const GRAPH_OBJECT_PATH = /^\/(v\d+\.\d+)\/(\d{1,20})(?:\/(message_templates))?\/?$/;

/** Page size of the template list when `limit` is absent (Graph's usual 25). */
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 1000;

/** A Graph request as the HTTP layer hands it over. */
export interface GraphRequest {
  method: string;
  objectId: string;
  edge: 'message_templates' | undefined;
  query: URLSearchParams;
  accessToken: string | undefined;
  /** The POST parameters (JSON or form body, plus the query's); empty for GET. */
  params: Record<string, unknown>;
  /** Absolute URL of the request, for `paging.next`. */
  url: URL;
}

/** What the Graph calls read and change. */
export interface GraphContext {
  acceptsToken(token: string | undefined): boolean;
  templates: TemplateCatalog;
  phoneNumbers: readonly ScenarioPhoneNumber[];
}

/** HTTP status and JSON body of a Graph answer. */
export interface GraphAnswer {
  status: number;
  body: object;
}

/** Graph's answer for an id that does not exist or that the token cannot see (code 100, subcode 33). */
export function missingObjectAnswer(method: string, objectId: string): GraphAnswer {
  return errorAnswer(100, {
    title: `Unsupported ${method.toLowerCase()} request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    type: 'GraphMethodException',
    subcode: 33,
    graphLevel: true,
  });
}

function invalidParameter(details: string): GraphAnswer {
  return errorAnswer(100, { title: 'Invalid parameter', details });
}

/** Graph's answer for `?fields=` naming a field the node type does not have. */
function nonexistingFieldAnswer<T>(kind: GraphObjectKind<T>, field: string): GraphAnswer {
  return errorAnswer(100, {
    title: `(#100) Tried accessing nonexisting field (${field}) on node type (${kind.nodeType})`,
    graphLevel: true,
  });
}

/** Reads one object with `?fields=`. */
function readObject<T>(kind: GraphObjectKind<T>, object: T, query: URLSearchParams): GraphAnswer {
  const fields = requestedFields(query);
  const unknown = unknownField(kind, fields);
  if (unknown !== undefined) return nonexistingFieldAnswer(kind, unknown);
  return { status: 200, body: viewOf(kind, object, fields) };
}

function encodeCursor(index: number): string {
  return Buffer.from(String(index)).toString('base64url');
}

function decodeCursor(cursor: string | null): number {
  const index = cursor === null ? Number.NaN : Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  return Number.isInteger(index) && index >= 0 ? index : -1;
}

/** Graph's filters of the template list: `name` (contained), `status`, `language`, `category`. */
function matchesFilters(template: TemplateTranslation, query: URLSearchParams): boolean {
  const name = query.get('name');
  if (name !== null && !template.name.includes(name)) return false;
  for (const [parameter, value] of [
    ['status', template.status],
    ['language', template.language],
    ['category', template.category],
  ] as const) {
    const wanted = query.get(parameter);
    if (wanted !== null && !wanted.split(',').includes(value)) return false;
  }
  return true;
}

/** `GET /{waba-id}/message_templates`: Graph's `{ data, paging }` list, paged by `limit` and `after`. */
function listTemplates(request: GraphRequest, context: GraphContext): GraphAnswer {
  const fields = requestedFields(request.query);
  const unknown = unknownField(TEMPLATE_KIND, fields);
  if (unknown !== undefined) return nonexistingFieldAnswer(TEMPLATE_KIND, unknown);
  const limit = Math.min(Number(request.query.get('limit') ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const after = request.query.get('after');
  const start = after === null ? 0 : decodeCursor(after) + 1;
  if (start <= 0 && after !== null) return invalidParameter(`Param after is not a valid cursor: ${after}`);
  const matching = context.templates.inWaba(request.objectId).filter((template) => matchesFilters(template, request.query));
  const page = matching.slice(start, start + limit);
  if (page.length === 0) return { status: 200, body: { data: [] } };
  const lastIndex = start + page.length - 1;
  const next = new URL(request.url);
  next.searchParams.set('after', encodeCursor(lastIndex));
  return {
    status: 200,
    body: {
      data: page.map((template) => viewOf(TEMPLATE_KIND, template, fields)),
      paging: {
        cursors: { before: encodeCursor(start), after: encodeCursor(lastIndex) },
        ...(lastIndex < matching.length - 1 ? { next: next.href } : {}),
      },
    },
  };
}

/** `POST /{template-id}` with `message_send_ttl_seconds`: the only edit the simulator models. */
function editTemplate(template: TemplateTranslation, request: GraphRequest, context: GraphContext): GraphAnswer {
  const stray = Object.keys(request.params).find((key) => key !== 'message_send_ttl_seconds');
  if (stray !== undefined) return invalidParameter(`The simulator only edits message_send_ttl_seconds; got "${stray}".`);
  const result = context.templates.editTtl(template, request.params.message_send_ttl_seconds);
  if (!result.ok) return invalidParameter(result.refusal.message);
  return { status: 200, body: { success: true } };
}

function answerObject(request: GraphRequest, context: GraphContext): GraphAnswer {
  const phone = context.phoneNumbers.find((candidate) => candidate.id === request.objectId);
  if (phone && request.method === 'GET') return readObject(PHONE_NUMBER_KIND, phone, request.query);
  const template = context.templates.byId(request.objectId);
  if (template && request.method === 'GET') return readObject(TEMPLATE_KIND, template, request.query);
  if (template && request.method === 'POST') return editTemplate(template, request, context);
  return missingObjectAnswer(request.method, request.objectId);
}

/** Answers one Graph call (and applies a TTL edit). */
export function answerGraph(request: GraphRequest, context: GraphContext): GraphAnswer {
  if (!context.acceptsToken(request.accessToken)) return errorAnswer(190);
  if (request.edge === undefined) return answerObject(request, context);
  if (request.method !== 'GET' || !context.templates.isKnownWaba(request.objectId)) {
    return missingObjectAnswer(request.method, request.objectId);
  }
  return listTemplates(request, context);
}
