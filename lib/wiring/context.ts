import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsClients } from './aws-clients.ts';

/** The Lambda functions of serverless.yml. */
export type FunctionName = 'send' | 'release' | 'status' | 'webhook' | 'sweep' | 'campaigns' | 'feeder' | 'countJobChanges';

/** A function's structured logger and EMF metrics (Powertools). */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

/** The observability of a function that writes no metrics of its own (its bundle then leaves Powertools Metrics out). */
export type LoggerOnly = Pick<Observability, 'logger'>;

/**
 * What a function's runtime is built from: its environment (validated by its zod schema in
 * `lib/config.ts`), its SDK clients and its observability. The optional seams are for tests and
 * the local stack; on Lambda the real clock, randomness, sleep and fetch apply.
 */
export type WiringContext<O extends LoggerOnly = Observability> = O & {
  env: NodeJS.ProcessEnv;
  clients: AwsClients;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: typeof fetch;
  /** The campaign functions' S3 client (audience reads, rejection reports), e.g. one that counts requests; default from the environment. */
  s3?: S3Client;
};

/**
 * One function, wired once: its observability, how its runtime is built from a
 * {@link WiringContext} and how its middy handler wraps that runtime. The Lambda entry point
 * (`lambdaHandler`) and the local deployment both build the function from this, so the two
 * cannot drift apart.
 */
export interface FunctionDefinition<Runtime, Handler, O extends LoggerOnly = Observability> {
  name: FunctionName;
  /** The logger (and metrics) the function runs with on Lambda, made once per execution environment. */
  observe(): O;
  createRuntime(context: WiringContext<O>): Runtime;
  /** `runtime` is called on each invocation; it builds the runtime once, on the first. */
  createHandler(runtime: () => Runtime, observability: O): Handler;
}
