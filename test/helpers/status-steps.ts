import { expect } from 'vitest';
import type { JobRecord } from '../../lib/jobs/job-record.ts';
import { aJob } from './factories.ts';
import type { SendHarness } from './send-harness.ts';
import { postWebhook, type StatusFields, statusesPayload } from './webhook-factories.ts';

/** The steps the status tests repeat: send a job for real, post Meta's statuses for it, wait for a state. */
export function statusSteps(harness: SendHarness) {
  const url = harness.deployment.webhookUrl!;
  return {
    /** Sends one job for real and returns its accepted record. */
    async sent(campaignId: string, recipient: string, validitySeconds = 86_400): Promise<JobRecord> {
      await harness.enqueue([aJob({ campaignId, recipient, validitySeconds })]);
      const jobs = await harness.waitForJobs((all) =>
        all.some((j) => j.campaignId === campaignId && j.recipient === recipient && j.state === 'accepted'),
      );
      return jobs.find((j) => j.campaignId === campaignId && j.recipient === recipient)!;
    },

    async post(statuses: StatusFields[]): Promise<void> {
      expect((await postWebhook(url, statusesPayload(statuses))).status).toBe(200);
    },

    async stateOf(job: Pick<JobRecord, 'jobKey'>, expected: string): Promise<JobRecord> {
      const jobs = await harness.waitForJobs((all) => all.some((j) => j.jobKey === job.jobKey && j.state === expected), 20_000);
      return jobs.find((j) => j.jobKey === job.jobKey)!;
    },
  };
}
