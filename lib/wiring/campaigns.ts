import { setTimeout } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoCampaignStore } from '../adapters/dynamodb/campaign-store.ts';
import { createControlStore } from '../adapters/dynamodb/control-store.ts';
import { createGraphApiClient } from '../adapters/meta/graph-api-client.ts';
import { createAudienceReader } from '../adapters/s3/audience-reader.ts';
import { createFeedTrigger } from '../adapters/sqs/feed-trigger.ts';
import { createSecretSource } from '../adapters/ssm/secret-source.ts';
import type { CampaignDeps } from '../campaigns/context.ts';
import { runPreflight } from '../campaigns/preflight.ts';
import type { TickOptions } from '../campaigns/tick.ts';
import { type CampaignConfig, loadCampaignConfig } from '../config.ts';
import { accountOfNumber } from '../domain/whatsapp-accounts.ts';
import { emitWithDimension } from '../observability.ts';
import type { AudienceSource } from '../ports/audience-source.ts';
import type { WiringContext } from './context.ts';
import { createStores } from './stores.ts';

/** The campaign ticker's runtime: the campaign items, the controls, the counters, the feed queue and the preflight's adapters. */
export interface CampaignsRuntime {
  config: CampaignConfig;
  deps: CampaignDeps;
  tick: TickOptions;
  audience: AudienceSource;
}

/** S3 from the environment; locally path-style at the stand-in's endpoint, as on the local stack. */
export function createS3Client(env: NodeJS.ProcessEnv): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3;
  return new S3Client(endpoint ? { endpoint, forcePathStyle: true } : {});
}

export function createCampaignsRuntime(context: WiringContext): CampaignsRuntime {
  const { env, clients, logger, metrics, now, fetch } = context;
  const config = loadCampaignConfig(env);
  const { counters } = createStores(config, clients);
  const audience = createAudienceReader(context.s3 ?? createS3Client(env));
  const accessToken = createSecretSource({
    parameterName: config.meta.accessTokenParameter,
    cacheSeconds: config.meta.tokenCacheSeconds,
    ssm: clients.ssm,
  });
  const { baseUrl, apiVersion, timeoutMs } = config.meta;
  const account = createGraphApiClient({ baseUrl, apiVersion, timeoutMs, accessToken, ...(fetch ? { fetch } : {}) });
  const deps: CampaignDeps = {
    campaigns: new DynamoCampaignStore(clients.doc, { tableName: config.tables.campaigns }),
    controls: createControlStore(clients.doc, { tableName: config.controlTable }),
    counters,
    feeds: createFeedTrigger(clients.sqs, config.feedQueueUrl),
    preflight: (campaign) =>
      runPreflight({
        campaign,
        businessAccountId: accountOfNumber(config.accounts, campaign.phoneNumberId),
        account,
        audience,
        setTtlAllowed: config.setTemplateTtl,
        configuredRate: config.rates.byPhoneNumber[campaign.phoneNumberId] ?? config.rates.defaultRate,
      }),
    now: now ?? Date.now,
    sleep: context.sleep ?? ((ms) => setTimeout(ms)),
    logger,
    metric: (name, value = 1) => metrics.addMetric(name, name.endsWith('Ms') ? MetricUnit.Milliseconds : MetricUnit.Count, value),
    // One EMF line per sending campaign and tick.
    campaignMetric: (campaignId, metric, value) =>
      emitWithDimension(metrics, { dimension: ['campaignId', campaignId], metric, unit: MetricUnit.Percent, value }),
  };
  return { config, deps, audience, tick: { lookAheadMs: config.lookAheadSeconds * 1000, staleLaunchMs: 120_000 } };
}
