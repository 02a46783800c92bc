import type { Logger } from '@aws-lambda-powertools/logger';
import type { Campaign } from '../domain/campaign-contract.ts';
import type { PreflightProblem } from '../domain/preflight.ts';
import type { CampaignCounters } from '../ports/campaign-counters.ts';
import type { CampaignStore } from '../ports/campaign-store.ts';
import type { ControlStore } from '../ports/control-store.ts';
import type { FeedTrigger } from '../ports/feed-trigger.ts';

/** What the preflight found, fixed for the campaign's life. */
export interface PreflightFacts {
  templateTtlSeconds: number;
  validitySeconds: number;
  ratePerSecond: number;
  audienceEtag: string;
  audienceSize: number;
}

export type PreflightResult = { ok: true; facts: PreflightFacts } | { ok: false; problems: PreflightProblem[] };

/** The checks a launch makes through Meta's Graph API and S3 (`lib/campaigns/preflight.ts`), bound to its adapters. */
export type Preflight = (campaign: Campaign) => Promise<PreflightResult>;

/** What steering and launching campaigns needs: the campaign items, the send path's controls, the counters and the feed queue. */
export interface CampaignDeps {
  campaigns: CampaignStore;
  controls: Pick<ControlStore, 'setCampaignStatus'>;
  counters: CampaignCounters;
  feeds: FeedTrigger;
  preflight: Preflight;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  /** Adds to a metric of this invocation. */
  metric: (name: string, value?: number) => void;
  /** A metric of one campaign (its own dimension), such as its progress for the dashboard. */
  campaignMetric: (campaignId: string, name: string, value: number) => void;
}
