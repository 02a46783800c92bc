import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { type TickResult, tickCampaigns } from '../lib/campaigns/tick.ts';
import { createLogger, createMetrics } from '../lib/observability.ts';
import { type CampaignsRuntime, createCampaignsRuntime } from '../lib/wiring/campaigns.ts';
import type { FunctionDefinition, Observability } from '../lib/wiring/context.ts';
import { lambdaHandler } from '../lib/wiring/lambda-handler.ts';

/** Every minute: applies operators' status edits, launches due campaigns, keeps feeds going and completes finished campaigns. */
export function createCampaignsHandler(runtime: () => CampaignsRuntime, { logger, metrics }: Observability) {
  return middy<unknown, TickResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(() => {
      const { deps, tick } = runtime();
      return tickCampaigns(deps, tick);
    });
}

export const campaignsFunction = {
  name: 'campaigns',
  observe: () => ({ logger: createLogger('campaigns'), metrics: createMetrics('campaigns') }),
  createRuntime: createCampaignsRuntime,
  createHandler: createCampaignsHandler,
} satisfies FunctionDefinition<CampaignsRuntime, ReturnType<typeof createCampaignsHandler>>;

export const handler = lambdaHandler(campaignsFunction);
