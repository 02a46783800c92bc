import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Logger } from '@aws-lambda-powertools/logger';
import { createAwsClients } from '../lib/aws-clients.ts';
import { loadSweepConfig } from '../lib/config.ts';
import { createLogger } from '../lib/observability.ts';
import { createSweepDeps } from '../lib/status/runtime.ts';
import { type SweepDeps, type SweepResult, sweepDropped } from '../lib/status/sweep-dropped.ts';

/** Scheduled: marks accepted jobs `dropped` once their validity ends without a delivery. */
export function createSweepHandler(deps: () => SweepDeps, logger: Logger) {
  return middy<unknown, SweepResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(() => sweepDropped(deps()));
}

const logger = createLogger('sweep');
let deps: SweepDeps | undefined;

export const handler = createSweepHandler(() => {
  deps ??= createSweepDeps({ config: loadSweepConfig(), clients: createAwsClients(), logger });
  return deps;
}, logger);
