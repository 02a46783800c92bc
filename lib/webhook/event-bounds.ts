import type { WebhookEvent } from '../domain/webhook-events.ts';

/** Deepest nesting of arrays and objects queued inside one event; Meta's are about 4 levels deep. */
export const MAX_EVENT_DEPTH = 32;
/**
 * Largest event (UTF-8 bytes of its JSON) queued as it came. Meta's are 1–2 KB, an inbound text
 * of 4,096 characters under 20 KB; ten such to an SQS batch stay under its 256 KiB.
 */
export const MAX_EVENT_BYTES = 24 * 1024;
/** More events than this in one POST is not Meta (3 MB of its smallest statuses is fewer): refused whole. */
export const MAX_EVENTS_PER_POST = 20_000;

/** The field of each kind of event that holds Meta's content. */
const CONTENT_FIELD = {
  status: 'status',
  user_preference: 'preference',
  inbound_message: 'message',
  user_action: 'action',
  template: 'value',
} as const satisfies Record<WebhookEvent['kind'], string>;

/**
 * An event whose content is too deep to serialise safely (JSON.stringify recurses) or too large
 * for the queue gets its content replaced by a note saying why, with the content's short
 * top-level fields (`kept`: the wamid of a status) beside it. It is still queued, so the status
 * function dead-letters it with that note, as it does every event it cannot apply, and the POST
 * is answered 200: Meta must not send the same body again for 7 days.
 */
export function boundedEvent(event: WebhookEvent): { event: WebhookEvent; rejected?: string } {
  const field = CONTENT_FIELD[event.kind];
  const content = (event as unknown as Record<string, unknown>)[field];
  const rejected = contentProblem(content);
  if (rejected === undefined) return { event };
  return { event: { ...event, [field]: { rejectedByWebhook: rejected, kept: shortFieldsOf(content) } } as WebhookEvent, rejected };
}

/** The top-level short values of the content (a status's id, status, timestamp…), so the dead letter says whose it was. */
function shortFieldsOf(content: unknown): Record<string, string | number | boolean> {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return {};
  const short = Object.entries(content).filter(
    (entry): entry is [string, string | number | boolean] =>
      entry[0].length <= 64 &&
      (typeof entry[1] === 'number' || typeof entry[1] === 'boolean' || (typeof entry[1] === 'string' && entry[1].length <= 256)),
  );
  return Object.fromEntries(short.slice(0, 16));
}

function contentProblem(content: unknown): string | undefined {
  if (nestsDeeperThan(content, MAX_EVENT_DEPTH)) return `nested deeper than ${MAX_EVENT_DEPTH} levels`;
  const bytes = Buffer.byteLength(JSON.stringify(content) ?? '');
  return bytes > MAX_EVENT_BYTES ? `${bytes} bytes, over ${MAX_EVENT_BYTES}` : undefined;
}

/** Whether arrays and objects nest deeper than `limit`; iterative, so any depth is measured without recursion. */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: next, depth } = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(next)) pending.push({ value: child, depth: depth + 1 });
  }
  return false;
}
