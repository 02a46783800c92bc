import { createAwsClients } from './aws-clients.ts';
import type { FunctionDefinition, LoggerOnly } from './context.ts';

/**
 * The Lambda entry point of a function: its logger (and metrics) at module scope, and its runtime
 * built from `process.env` on the first invocation (a bad environment then fails that invocation
 * with a `ConfigError` naming every bad variable) and kept for the warm ones.
 *
 * The first invocation of an execution environment also logs one `cold start` line: how long the
 * process took to load the bundle and how much memory it holds. Lambda's own report line says the
 * same (init duration, max memory used) while the platform lines are kept; a stage may drop the
 * webhook's for their cost (docs/operations.md#logs), and its cold starts still show here.
 *
 * @example
 * export const handler = lambdaHandler(sendFunction);
 */
export function lambdaHandler<Runtime, Handler, O extends LoggerOnly>(definition: FunctionDefinition<Runtime, Handler, O>): Handler {
  // Imports are evaluated before this module body: the time since the process started is the load.
  const loadedAfterMs = performance.now();
  const observability = definition.observe();
  let runtime: Runtime | undefined;
  const lazyRuntime = () => {
    if (runtime) return runtime;
    observability.logger.info('cold start', coldStartFacts(loadedAfterMs));
    runtime = definition.createRuntime({ ...observability, env: process.env, clients: createAwsClients() });
    return runtime;
  };
  return definition.createHandler(lazyRuntime, observability);
}

function coldStartFacts(loadedAfterMs: number) {
  const memorySizeMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return {
    loadMs: Math.round(loadedAfterMs),
    memoryUsedMb: Math.round(process.memoryUsage.rss() / 1_048_576),
    ...(Number.isFinite(memorySizeMb) ? { memorySizeMb } : {}),
  };
}
