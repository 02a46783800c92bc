import { setTimeout } from 'node:timers/promises';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoCampaignStore } from '../adapters/dynamodb/campaign-store.ts';
import { createControlStore } from '../adapters/dynamodb/control-store.ts';
import { createAudienceReader } from '../adapters/s3/audience-reader.ts';
import { createRejectionReportWriter } from '../adapters/s3/rejection-report-writer.ts';
import { createCampaignJobQueue } from '../adapters/sqs/campaign-job-queue.ts';
import { createFeedTrigger } from '../adapters/sqs/feed-trigger.ts';
import type { FeederRuntime } from '../campaigns/feed-batch.ts';
import type { FeedContext } from '../campaigns/feed-campaign.ts';
import { loadCampaignConfig } from '../config.ts';
import { CAMPAIGN_STATUSES } from '../domain/campaign-lifecycle.ts';
import type { CampaignStore } from '../ports/campaign-store.ts';
import { createS3Client } from './campaigns.ts';
import type { WiringContext } from './context.ts';
import { createStores } from './stores.ts';

/** How long the summed weights of a number's campaigns are reused: campaigns start and stop at most once a minute. */
const SHARING_CACHE_MS = 30_000;

export function createFeederRuntime(context: WiringContext): FeederRuntime {
  const { env, clients, logger, metrics } = context;
  const config = loadCampaignConfig(env);
  const now = context.now ?? Date.now;
  const s3 = context.s3 ?? createS3Client(env);
  const campaigns = new DynamoCampaignStore(clients.doc, { tableName: config.tables.campaigns });
  const { counters } = createStores(config, clients);
  return {
    feed: {
      store: campaigns,
      audience: createAudienceReader(s3),
      queue: createCampaignJobQueue(clients.sqs, config.sendQueueUrl),
      rejections: createRejectionReportWriter(s3),
      counters,
      sharing: cachedSharing(campaigns, now),
      policy: config.recipientPolicy,
      now,
      sleep: context.sleep ?? ((ms, signal) => setTimeout(ms, undefined, signal ? { signal } : undefined).catch(() => undefined)),
      horizonSeconds: config.feedHorizonSeconds,
      logger,
    },
    steering: {
      campaigns,
      controls: createControlStore(clients.doc, { tableName: config.controlTable }),
      feeds: createFeedTrigger(clients.sqs, config.feedQueueUrl),
      now,
      logger,
      metric: (name, value = 1) => metrics.addMetric(name, MetricUnit.Count, value),
    },
  };
}

/** The summed weights of the SENDING campaigns on a number, so each campaign feeds its share of the number's rate. */
function cachedSharing(campaigns: CampaignStore, now: () => number): FeedContext['sharing'] {
  let cached: { at: number; weights: Map<string, number> } | undefined;
  return async (phoneNumberId) => {
    if (!cached || now() - cached.at > SHARING_CACHE_MS) {
      const weights = new Map<string, number>();
      for (const record of await campaigns.listOpen()) {
        const definition = record.definition;
        if (record.appliedStatus !== CAMPAIGN_STATUSES.sending || !definition) continue;
        weights.set(definition.phoneNumberId, (weights.get(definition.phoneNumberId) ?? 0) + (definition.weight ?? 1));
      }
      cached = { at: now(), weights };
    }
    return { totalWeight: Math.max(1, cached.weights.get(phoneNumberId) ?? 1) };
  };
}
