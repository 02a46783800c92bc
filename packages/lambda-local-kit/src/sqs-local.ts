import type { AddressInfo } from 'node:net';
import { buildApp } from 'fauxqs';
import { LOCAL_REGION, LOOPBACK_HOST, type LocalService } from './local-aws.ts';

/** Options for {@link startSqsLocal}. */
export interface SqsLocalOptions {
  /** Port on 127.0.0.1; by default the kernel picks a free one. */
  port?: number;
}

/**
 * Starts fauxqs (an SQS emulator speaking the AWS JSON protocol) in this process, on 127.0.0.1.
 *
 * Its queue URLs name a host that does not resolve (`sqs.us-east-1.localhost`), so every SQS
 * client must be built with `endpoint` set explicitly: see `clientsFor`.
 *
 * @example
 * const sqs = await startSqsLocal();
 * const client = new SQSClient({ endpoint: sqs.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
 * await sqs.stop();
 */
export async function startSqsLocal(options: SqsLocalOptions = {}): Promise<LocalService> {
  // Not fauxqs' startFauxqs() or CLI: both listen on 0.0.0.0.
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION });
  await app.listen({ host: LOOPBACK_HOST, port: options.port ?? 0 });
  const { port } = app.server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    stop: () => (stopping ??= app.close()),
  };
}
