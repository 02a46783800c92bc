import type { IncomingMessage, ServerResponse } from 'node:http';

/** Meta's send bodies are small; anything this big is a client bug, not a message. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A request body read to the end, or why it could not be: over {@link MAX_BODY_BYTES}, or the client went away. */
export type BodyText = { ok: true; text: string } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * Reads the whole body; past the size cap it keeps draining (so the answer can still be sent)
 * but drops the bytes. Never rejects: a client that disconnects mid-body is an `aborted` result.
 */
export function readBody(request: IncomingMessage): Promise<BodyText> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      resolve(size > MAX_BODY_BYTES ? { ok: false, reason: 'too_large' } : { ok: true, text: Buffer.concat(chunks).toString('utf8') });
    });
    request.on('error', () => resolve({ ok: false, reason: 'aborted' }));
    request.on('close', () => {
      if (!request.complete) resolve({ ok: false, reason: 'aborted' });
    });
  });
}

/** Parses JSON without throwing; an empty body is not JSON either. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Writes a JSON answer, unless the client has already gone. */
export function writeJson(response: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (response.destroyed || response.headersSent) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...extraHeaders,
  });
  response.end(text);
}
