import type { SendJob } from '../domain/job-contract.ts';
import { contractOf, type ValidJob } from '../domain/validate-job.ts';
import { type ContractSource, contractOfItem } from './job-item.ts';

/** The message body that carries a job to its next attempt: same job, new dispatch id. */
export function dispatchBody(job: ValidJob | SendJob, attempt: number, dispatchId: string, createdAt: string): string {
  const contract = 'recipientCountry' in job ? contractOf(job) : job;
  return JSON.stringify({ ...contract, createdAt, attempt, dispatchId });
}

/** The same, rebuilt from the job item alone (a retry decided by a status webhook). */
export function dispatchBodyFromItem(item: ContractSource, attempt: number, dispatchId: string): string {
  return dispatchBody(contractOfItem(item), attempt, dispatchId, item.createdAt);
}
