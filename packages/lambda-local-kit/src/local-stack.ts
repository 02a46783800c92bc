import { startDynamoDbLocal } from './dynamodb-local.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalEndpoints, type LocalServer, type LocalService } from './local-aws.ts';
import { startSqsLocal } from './sqs-local.ts';
import { startSsmLocal } from './ssm-local.ts';

/** Where a running local stack can be reached: what child processes and test workers need. */
export interface LocalStackConnection {
  region: typeof LOCAL_REGION;
  credentials: typeof LOCAL_CREDENTIALS;
  endpoints: LocalEndpoints;
}

/** A running local stack. */
export interface LocalStack extends LocalStackConnection {
  /** Stops all three services; idempotent. */
  stop(): Promise<void>;
}

/** Options for {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Fixed ports, for a long-running dev stack. Default: free ports the kernel picks. */
  ports?: Partial<Record<LocalServer, number>>;
  /** Where DynamoDB Local is downloaded to. Default: `defaultCacheDir()`. */
  cacheDir?: string;
}

/**
 * Environment variables that carry the endpoints to child processes (see {@link connectLocalStack}).
 * S3 needs none: it is served on the SQS endpoint.
 */
export const LOCAL_ENDPOINT_ENV: Readonly<Record<LocalServer, string>> = {
  sqs: 'LOCAL_SQS_ENDPOINT',
  dynamodb: 'LOCAL_DYNAMODB_ENDPOINT',
  ssm: 'LOCAL_SSM_ENDPOINT',
};

/**
 * Starts DynamoDB Local, fauxqs and the SSM stand-in in parallel, all on 127.0.0.1. If one fails
 * to start, the others are stopped before the error is thrown.
 *
 * @example
 * const stack = await startLocalStack();
 * const clients = clientsFor(stack.endpoints);
 * // ...
 * clients.destroy();
 * await stack.stop();
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const ports = options.ports ?? {};
  const started = await Promise.allSettled([
    startSqsLocal({ port: ports.sqs }),
    startDynamoDbLocal({ port: ports.dynamodb, cacheDir: options.cacheDir }),
    startSsmLocal({ port: ports.ssm }),
  ]);
  const services = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const stopAll = () => Promise.all(services.map((service: LocalService) => service.stop())).then(() => undefined);
  const [sqs, dynamodb, ssm] = started;
  if (sqs?.status !== 'fulfilled' || dynamodb?.status !== 'fulfilled' || ssm?.status !== 'fulfilled') {
    await stopAll();
    const reasons = started.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    throw new AggregateError(reasons, `Local stack did not start: ${reasons.map(String).join('; ')}`);
  }
  let stopping: Promise<void> | undefined;
  return {
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoints: { sqs: sqs.value.endpoint, s3: sqs.value.endpoint, dynamodb: dynamodb.value.endpoint, ssm: ssm.value.endpoint },
    stop: () => (stopping ??= stopAll()),
  };
}

/**
 * Environment for processes that should use a running local stack: the endpoint variables that
 * {@link connectLocalStack} reads, plus the SDK's own region, credential and per-service endpoint
 * variables, so that even a default-constructed SDK client talks to the local services with the
 * one set of dummy credentials (DynamoDB Local keeps one database per key + region).
 */
export function localStackEnv(endpoints: LocalEndpoints): Record<string, string> {
  return {
    [LOCAL_ENDPOINT_ENV.sqs]: endpoints.sqs,
    [LOCAL_ENDPOINT_ENV.dynamodb]: endpoints.dynamodb,
    [LOCAL_ENDPOINT_ENV.ssm]: endpoints.ssm,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SSM: endpoints.ssm,
  };
}

/**
 * Connects to a local stack started by another process, from `LOCAL_SQS_ENDPOINT`,
 * `LOCAL_DYNAMODB_ENDPOINT` and `LOCAL_SSM_ENDPOINT`. Throws naming any variable that is missing.
 *
 * @example
 * const { endpoints } = connectLocalStack();
 * const clients = clientsFor(endpoints);
 */
export function connectLocalStack(env: NodeJS.ProcessEnv = process.env): LocalStackConnection {
  const read = (service: LocalServer) => env[LOCAL_ENDPOINT_ENV[service]] ?? '';
  const endpoints: LocalEndpoints = { sqs: read('sqs'), s3: read('sqs'), dynamodb: read('dynamodb'), ssm: read('ssm') };
  const missing = (Object.keys(LOCAL_ENDPOINT_ENV) as LocalServer[]).filter((service) => !endpoints[service]);
  if (missing.length > 0) {
    const names = missing.map((service) => LOCAL_ENDPOINT_ENV[service]).join(', ');
    throw new Error(`No local stack to connect to: ${names} not set (start one with startLocalStack())`);
  }
  return { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoints };
}
