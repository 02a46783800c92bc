import { createJobStore } from '../../lib/adapters/dynamodb/job-store.ts';
import { maskPhoneNumber } from '../../lib/domain/phone.ts';
import { resendVerdict } from '../../lib/domain/resend-rule.ts';
import type { OpsContext } from './context.ts';

/**
 * `ops unknown list <campaignId>`: the campaign's jobs left `unknown`, from the sparse index of
 * unknown jobs (no scan), each with what a re-send would do with it now. Recipients masked: the
 * list is for the console. `ops unknown resend` is `npm run resend-unknown`.
 */
export async function listUnknown(context: OpsContext, request: { campaignId: string; afterSeconds: number; json: boolean }) {
  const jobs = createJobStore(context.doc, { tableName: context.setting('JOBS_TABLE'), retentionDays: 35 });
  const now = context.now();
  const rows = (await jobs.unknownJobs({ now, campaignId: request.campaignId })).map((job) => ({
    recipient: maskPhoneNumber(job.recipient),
    unknownSince: job.unknownSince ?? job.claimedAt,
    attempt: job.attempt,
    verdict: resendVerdict(job, now, request.afterSeconds * 1000),
  }));
  if (request.json) {
    context.out(JSON.stringify({ campaignId: request.campaignId, jobs: rows }));
    return;
  }
  context.out(`campaign ${request.campaignId}: ${rows.length} jobs unknown`);
  for (const row of rows) context.out(`  ${row.recipient}  since ${row.unknownSince ?? '?'}  attempt ${row.attempt}  ${row.verdict}`);
}
