import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP hop between the sender and the MM API simulator, for the faults the simulator does not
 * make itself: Graph errors answered with a 5xx status (the simulator answers 400 for most codes;
 * Meta answers 1/131000 with 500 and 2/131016 with 503 in practice), and bare 5xx answers without
 * a Graph body from a front end that never passed the request on.
 *
 * Everything else is forwarded untouched; an upstream connection reset is passed on as a reset,
 * and a client that gives up (timeout) aborts the upstream request.
 */
export type ProxyAction =
  /** Answer at once with this status and a non-Graph body; the simulator never sees the request. */
  | { kind: 'bare'; status: number; body?: string; contentType?: string }
  /** Forward; if the simulator answered with a Graph error, pass its body on with this status instead. */
  | { kind: 'error-status'; status: number };

export interface ProxyRule {
  name: string;
  /** E.164 recipients (compared by digits); all when absent. */
  recipients?: readonly string[];
  /** Only the first N matching requests per recipient. */
  times?: number;
  action: ProxyAction;
}

export interface ProxyEvent {
  at: number;
  recipient: string | undefined;
  rule: string | undefined;
  /** What the sender got: an HTTP status, or `reset`/`aborted`. */
  answered: number | 'reset' | 'aborted';
  forwarded: boolean;
}

export interface FaultProxy {
  url: string;
  events: ProxyEvent[];
  stop(): Promise<void>;
}

const digits = (value: string | undefined) => (value ?? '').replace(/\D/g, '');

/** `target` is the simulator's base URL, or a function for one that starts later. */
export async function startFaultProxy(target: string | (() => string), rules: readonly ProxyRule[]): Promise<FaultProxy> {
  const targetUrl = typeof target === 'string' ? () => target : target;
  const uses = new Map<string, number>();
  const events: ProxyEvent[] = [];
  const sockets = new Set<Socket>();

  const pick = (recipient: string | undefined): ProxyRule | undefined => {
    for (const rule of rules) {
      if (rule.recipients && !rule.recipients.some((r) => digits(r) === digits(recipient))) continue;
      if (rule.times !== undefined) {
        const key = `${rule.name}|${digits(recipient)}`;
        const used = uses.get(key) ?? 0;
        if (used >= rule.times) continue;
        uses.set(key, used + 1);
      }
      return rule;
    }
    return undefined;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    let recipient: string | undefined;
    try {
      recipient = (JSON.parse(body.toString('utf8')) as { to?: string }).to;
    } catch {
      recipient = undefined;
    }
    const rule = pick(recipient);
    const record = (answered: ProxyEvent['answered'], forwarded: boolean) =>
      events.push({ at: Date.now(), recipient, rule: rule?.name, answered, forwarded });

    if (rule?.action.kind === 'bare') {
      const {
        status,
        body: text = `<html><body><h1>${status}</h1>The server is temporarily unable to service your request.</body></html>`,
        contentType = 'text/html',
      } = rule.action;
      response.writeHead(status, { 'content-type': contentType, connection: 'close' });
      response.end(text);
      record(status, false);
      return;
    }

    const abort = new AbortController();
    response.once('close', () => {
      if (!response.writableFinished) abort.abort();
    });
    let upstream: Response;
    let text: string;
    try {
      upstream = await fetch(new URL(request.url ?? '/', targetUrl()), {
        method: request.method ?? 'POST',
        headers: Object.fromEntries(
          Object.entries(request.headers).filter(([name]) => ['authorization', 'content-type'].includes(name)) as Array<[string, string]>,
        ),
        ...(body.length > 0 ? { body } : {}),
        signal: abort.signal,
      });
      text = await upstream.text();
    } catch {
      if (abort.signal.aborted) {
        record('aborted', true);
        return;
      }
      // The simulator reset the connection: so does the proxy.
      request.socket.resetAndDestroy();
      record('reset', true);
      return;
    }
    let status = upstream.status;
    if (rule?.action.kind === 'error-status' && status >= 400) {
      try {
        if (typeof (JSON.parse(text) as { error?: { code?: unknown } }).error?.code === 'number') status = rule.action.status;
      } catch {
        // not a Graph error: leave it
      }
    }
    response.writeHead(status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    response.end(text);
    record(status, true);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => request.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
