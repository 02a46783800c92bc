import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_REGION } from './local-aws.ts';

/** What a local invocation needs to build the Context Lambda would pass. */
export interface LambdaContextOptions {
  functionName: string;
  /** The function timeout: `getRemainingTimeInMillis()` counts down from it. */
  timeoutMs: number;
  /** Default: the local region. */
  region?: string;
  /** Default: 000000000000, the account fauxqs uses. */
  accountId?: string;
  memoryLimitInMB?: number;
  /**
   * The execution environment's log stream. Lambda keeps one per environment, so invocations
   * served by the same environment share it; default: a new one, as for a cold start.
   */
  logStreamName?: string;
}

/** A log stream name as Lambda gives one to each execution environment. */
export function newLogStreamName(): string {
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return `${today}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

/**
 * Builds a Lambda `Context` for one invocation, shaped like the one the nodejs24.x runtime passes:
 * a fresh `awsRequestId`, the function's ARN, log group and stream, and a countdown to the timeout.
 * The deprecated callback methods throw: nodejs24.x no longer supports callback-style handlers.
 */
export function createLambdaContext(options: LambdaContextOptions): Context {
  const deadline = Date.now() + options.timeoutMs;
  const { functionName, region = LOCAL_REGION, accountId = '000000000000' } = options;
  const unsupported = (method: string) => () => {
    throw new Error(`context.${method}() is not available on nodejs24.x: return a value or throw instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: options.logStreamName ?? newLogStreamName(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
