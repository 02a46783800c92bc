import { SEND_JOB_SCHEMA_VERSION, type SendJob, type Template } from '../domain/job-contract.ts';

/**
 * How the job contract is kept on its job item, so a retry can rebuild the job it re-dispatches.
 * Every field is stored once: the ones the item has columns for anyway (campaign, recipient,
 * phone number, `createdAt`, the validity as `validUntil`) are not repeated, the template is a
 * map operators can unfold in the console, and the optional fields are their own attributes,
 * present only when the producer set them. That keeps the item under DynamoDB's 1 KB write unit.
 */
export interface StoredContract {
  template: Template;
  callbackData?: string;
  notBefore?: string;
  messageActivitySharing?: boolean;
  productPolicy?: SendJob['productPolicy'];
}

/** What an item needs to give the contract back. */
export interface ContractSource extends Partial<StoredContract> {
  recipient: string;
  campaignId: string;
  phoneNumberId: string;
  createdAt: string;
  validUntil: string;
}

/** The contract fields the item stores beyond its columns. */
export function storedContractOf(job: SendJob): StoredContract {
  return {
    template: job.template,
    ...(job.callbackData === undefined ? {} : { callbackData: job.callbackData }),
    ...(job.notBefore === undefined ? {} : { notBefore: job.notBefore }),
    ...(job.messageActivitySharing === undefined ? {} : { messageActivitySharing: job.messageActivitySharing }),
    ...(job.productPolicy === undefined ? {} : { productPolicy: job.productPolicy }),
  };
}

/**
 * The job as enqueued, without the per-dispatch fields (`attempt`, `dispatchId`). The validity
 * comes back as the seconds from `createdAt` to `validUntil`, so the same deadline holds even if
 * the default validity has changed since.
 */
export function contractOfItem(item: ContractSource): Omit<SendJob, 'attempt' | 'dispatchId'> {
  if (!item.template) throw new Error('job item holds no template: cannot rebuild its job');
  return {
    schemaVersion: SEND_JOB_SCHEMA_VERSION,
    campaignId: item.campaignId,
    recipient: item.recipient,
    phoneNumberId: item.phoneNumberId,
    template: item.template,
    validitySeconds: Math.round((Date.parse(item.validUntil) - Date.parse(item.createdAt)) / 1000),
    createdAt: item.createdAt,
    ...(item.callbackData === undefined ? {} : { callbackData: item.callbackData }),
    ...(item.notBefore === undefined ? {} : { notBefore: item.notBefore }),
    ...(item.messageActivitySharing === undefined ? {} : { messageActivitySharing: item.messageActivitySharing }),
    ...(item.productPolicy === undefined ? {} : { productPolicy: item.productPolicy }),
  };
}
