import { tableOf } from 'lambda-local-kit';
import { describe, expect, it } from 'vitest';
import { createCampaignCounters } from '../../lib/adapters/dynamodb/campaign-counters.ts';
import { countsOfJob, isRecountable } from '../../lib/jobs/state-gauges.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { useLocalStack } from '../helpers/local-stack.ts';
import { runTool } from '../helpers/run-tool.ts';
import { baseScenario, startSendHarness } from '../helpers/send-harness.ts';

/**
 * A send invocation that never finishes: one request hangs as a frozen or killed runtime would,
 * so the invocation times out and its batch comes back, while the other sends of that batch were
 * made and recorded. The counts of those sends follow from their job writes (the jobs table's
 * stream), not from the batch's end (which never comes): the figures match the job items, and the
 * recount finds nothing to correct.
 */
const JOBS = 10;
let hung = 0;
const harness = await startSendHarness(baseScenario({ latencyMs: 20 }), {
  resourceOverrides: { SendQueue: { VisibilityTimeout: 5, RedrivePolicy: { maxReceiveCount: 5 } } },
  functionTimeoutMs: 3_000,
  env: { META_REQUEST_TIMEOUT_MS: '500', CLAIM_STALE_SECONDS: '4' },
  sendFetch: (url, init) => {
    // The fifth request of the campaign never comes back, whatever its timeout says.
    if (String(init?.body).includes('hang-me') && ++hung === 1) return new Promise<Response>(() => {});
    return fetch(url, init);
  },
});
const { endpoints, clients } = useLocalStack();
const tables = {
  jobs: tableOf(harness.deployment.resources, 'JobsTable').name,
  campaigns: tableOf(harness.deployment.resources, 'CampaignsTable').name,
};

async function recount(...args: string[]): Promise<{ code: number; stdout: string }> {
  const env = { ...process.env, JOBS_TABLE: tables.jobs, CAMPAIGNS_TABLE: tables.campaigns, AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb };
  return runTool('recount.ts', args, env);
}

/** The campaign's recountable counters, as the job items say they should be. */
async function truthOf(campaignId: string): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const job of (await harness.allJobs()).filter((j) => j.campaignId === campaignId)) {
    for (const [name, n] of Object.entries(countsOfJob(job))) totals[name] = (totals[name] ?? 0) + n;
  }
  return totals;
}

const recountable = (counters: Record<string, number>) =>
  Object.fromEntries(Object.entries(counters).filter(([name, n]) => isRecountable(name) && n !== 0));

describe('campaign figures when an invocation dies in the middle of its batch', () => {
  it('count every send the dead invocation made, once', async () => {
    const jobs = Array.from({ length: JOBS }, (_, i) =>
      aJob({ campaignId: 'died', recipient: recipientNumber(4_000 + i), ...(i === 4 ? { callbackData: 'hang-me' } : {}) }),
    );
    await harness.enqueue(jobs);
    const settled = await harness.waitForJobs(
      (all) => all.filter((j) => j.campaignId === 'died' && ['accepted', 'unknown'].includes(j.state)).length === JOBS,
      40_000,
    );
    expect(hung).toBe(1);
    expect(settled.filter((j) => j.campaignId === 'died' && j.state === 'unknown')).toHaveLength(1);
    await harness.quiet('SendQueue');
    expect(await harness.figures('died')).toMatchObject({ byState: { accepted: JOBS - 1, unknown: 1 }, uniqueAccepted: JOBS - 1 });
    expect(recountable(await harness.counters('died'))).toEqual(await truthOf('died'));
    const check = await recount('died');
    expect(check.stdout).toContain('counters agree with the job items');
    expect(check.code).toBe(0);
  });

  it('recounts counters gone wrong from the job items, and corrects them with --write', async () => {
    // Counters as a lost batch left them before 0.3: the accepted gauge negative, more delivered than accepted.
    const counters = createCampaignCounters(clients.documents, { tableName: tables.campaigns, shards: 1 });
    await counters.add(new Map([['died', { state_accepted: -(JOBS + 5), uniqueAccepted: -JOBS, uniqueDelivered: 3 }]]));
    const dry = await recount('died');
    expect(dry.code).toBe(1);
    expect(dry.stdout).toMatch(/state_accepted\s+-6\s+9\s+15\s+\*/);
    expect(dry.stdout).toContain('3 counter(s) differ; --write corrects them');
    expect(recountable(await harness.counters('died'))).not.toEqual(await truthOf('died'));

    const fixed = await recount('--write', 'died');
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('3 counter(s) corrected');
    expect(recountable(await harness.counters('died'))).toEqual(await truthOf('died'));
    expect((await recount('died')).stdout).toContain('counters agree with the job items');
  });
});
