import { createAwsClients } from './aws-clients.ts';
import type { FunctionDefinition, LoggerOnly } from './context.ts';

/**
 * The Lambda entry point of a function: its logger (and metrics) at module scope, and its runtime
 * built from `process.env` on the first invocation (a bad environment then fails that invocation
 * with a `ConfigError` naming every bad variable) and kept for the warm ones.
 *
 * @example
 * export const handler = lambdaHandler(sendFunction);
 */
export function lambdaHandler<Runtime, Handler, O extends LoggerOnly>(definition: FunctionDefinition<Runtime, Handler, O>): Handler {
  const observability = definition.observe();
  let runtime: Runtime | undefined;
  const lazyRuntime = () => {
    runtime ??= definition.createRuntime({ ...observability, env: process.env, clients: createAwsClients() });
    return runtime;
  };
  return definition.createHandler(lazyRuntime, observability);
}
