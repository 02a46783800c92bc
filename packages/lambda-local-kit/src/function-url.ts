import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { createLambdaContext } from './lambda-context.ts';

/** A Lambda handler behind a function URL (payload format 2.0). */
export type FunctionUrlHandler = (event: LambdaFunctionURLEvent, context: Context) => Promise<LambdaFunctionURLResult>;

/** A running function URL stand-in. */
export interface LocalFunctionUrl {
  /** e.g. `http://127.0.0.1:41234/`: where clients (a webhook sender, a test) send their requests. */
  url: string;
  /** Closes the server and any open connection. */
  stop(): Promise<void>;
}

/** A function URL takes at most 6 MB per request. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

/**
 * The local stand-in for a Lambda function URL: an HTTP server on 127.0.0.1 that turns each
 * request into the payload-format-2.0 event AWS builds (lower-cased headers, raw query string,
 * text bodies as text and anything else base64) and the handler's result into the response.
 * A handler that throws answers 502, as a function URL does.
 *
 * @example
 * const webhook = await startFunctionUrl(handler, { functionName: 'webhook', timeoutMs: 10_000 });
 * await fetch(webhook.url, { method: 'POST', body: '{}' });
 * await webhook.stop();
 */
export async function startFunctionUrl(
  handler: FunctionUrlHandler,
  options: { functionName: string; timeoutMs: number },
): Promise<LocalFunctionUrl> {
  const server: Server = createServer(async (request, response) => {
    try {
      const body = await readBody(request);
      if (body === undefined) {
        response.writeHead(413).end('Request Entity Too Large');
        return;
      }
      const answer = await handler(toEvent(request, body), createLambdaContext(options));
      // A function URL turns a bare string result into a 200 with that body.
      const result = typeof answer === 'string' ? { statusCode: 200, body: answer } : answer;
      const resultBody = result.body ?? '';
      response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string> | undefined);
      response.end(result.isBase64Encoded ? Buffer.from(resultBody, 'base64') : resultBody);
    } catch {
      // What a function URL answers when the function throws.
      response.writeHead(502, { 'content-type': 'application/json' }).end('{"Message":"Internal Server Error"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toEvent(request: IncomingMessage, body: Buffer): LambdaFunctionURLEvent {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  const isText = /^(text\/|application\/(json|x-www-form-urlencoded|xml))/i.test(headers['content-type'] ?? '');
  const query = Object.fromEntries(url.searchParams);
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}
