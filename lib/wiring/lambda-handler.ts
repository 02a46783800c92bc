import { createLogger, createMetrics } from '../observability.ts';
import { createAwsClients } from './aws-clients.ts';
import type { FunctionDefinition } from './context.ts';

/**
 * The Lambda entry point of a function: its logger and metrics at module scope, and its runtime
 * built from `process.env` on the first invocation (a bad environment then fails that invocation
 * with a `ConfigError` naming every bad variable) and kept for the warm ones.
 *
 * @example
 * export const handler = lambdaHandler(sendFunction);
 */
export function lambdaHandler<Runtime, Handler>(definition: FunctionDefinition<Runtime, Handler>): Handler {
  const observability = { logger: createLogger(definition.name), metrics: createMetrics(definition.name) };
  let runtime: Runtime | undefined;
  const lazyRuntime = () => {
    runtime ??= definition.createRuntime({ env: process.env, clients: createAwsClients(), ...observability });
    return runtime;
  };
  return definition.createHandler(lazyRuntime, observability);
}
