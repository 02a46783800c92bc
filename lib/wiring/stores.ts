import { createCampaignCounters } from '../adapters/dynamodb/campaign-counters.ts';
import { createJobStore } from '../adapters/dynamodb/job-store.ts';
import { createOpenDeadlines } from '../adapters/dynamodb/open-deadlines.ts';
import { createUserStore } from '../adapters/dynamodb/user-store.ts';
import type { StoreConfig } from '../config.ts';
import type { JobStore } from '../jobs/job-store.ts';
import type { CampaignCounters } from '../ports/campaign-counters.ts';
import type { OpenDeadlines } from '../ports/open-deadlines.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { AwsClients } from './aws-clients.ts';

/** The tables the send, status and sweep functions share, each behind its port. */
export interface Stores {
  jobs: JobStore;
  users: UserStore;
  counters: CampaignCounters;
  openDeadlines: OpenDeadlines;
}

export function createStores(config: StoreConfig, clients: AwsClients): Stores {
  return {
    jobs: createJobStore(clients.doc, { tableName: config.tables.jobs, retentionDays: config.jobRetentionDays }),
    users: createUserStore(clients.doc, { tableName: config.tables.users, retentionDays: config.userRetentionDays }),
    counters: createCampaignCounters(clients.doc, { tableName: config.tables.campaigns, shards: config.counterShards }),
    openDeadlines: createOpenDeadlines(clients.doc, { tableName: config.tables.campaigns }),
  };
}
