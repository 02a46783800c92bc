import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookHop {
  /** The one URL "Meta" posts to. */
  url: string;
  /** Sends what arrives from now on to this origin (a worker's webhook server); undefined: refuse. */
  forwardTo(origin: string | undefined): void;
  stop(): Promise<void>;
}

/**
 * Meta posts every webhook to one URL (API Gateway's), whichever Lambda instance answers it. In
 * the fault suite the webhook server dies with its worker process and the next one listens on
 * another port: this hop keeps one URL for the simulator and forwards each POST, headers and
 * bytes untouched (the signature covers them), to the worker alive now, answering 502 while none is.
 */
export async function startWebhookHop(): Promise<WebhookHop> {
  let target: string | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          ([name, value]) => typeof value === 'string' && !['host', 'content-length', 'connection'].includes(name),
        ),
      ) as Record<string, string>;
      const upstream = target
        ? fetch(new URL(request.url ?? '/', target), { method: request.method ?? 'POST', headers, body: Buffer.concat(chunks) })
        : Promise.reject(new Error('no worker'));
      upstream
        .then(async (answer) => {
          response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
          response.end(await answer.text());
        })
        .catch(() => {
          response.writeHead(502);
          response.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwardTo(origin) {
      target = origin;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
