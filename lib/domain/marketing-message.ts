import { callbackDataOf } from './callback-data.ts';
import type { ValidJob } from './validate-job.ts';

export type ProductPolicy = 'STRICT' | 'CLOUD_API_FALLBACK';

export interface MarketingMessageOptions {
  productPolicy: ProductPolicy;
  /** Account default applies when undefined. */
  messageActivitySharing?: boolean;
  /**
   * Whether to send `biz_opaque_callback_data` (Meta's MM API schema does not list it): the
   * dispatch reference and the job's own data (`callback-data.ts`).
   */
  sendCallbackData: boolean;
}

/**
 * The request body for `POST /{phone-number-id}/marketing_messages` (docs/meta-api.md#sending).
 * Button URL parameters are passed through untouched: Meta appends its click id to them.
 * `claimToken` is the token the job was claimed under for this request.
 */
export function marketingMessageBody(job: ValidJob, options: MarketingMessageOptions, claimToken: string): Record<string, unknown> {
  const activitySharing = job.messageActivitySharing ?? options.messageActivitySharing;
  const callbackData = options.sendCallbackData
    ? callbackDataOf({ campaignId: job.campaignId, token: claimToken }, job.callbackData)
    : undefined;
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: job.recipient,
    type: 'template',
    template: job.template,
    product_policy: job.productPolicy ?? options.productPolicy,
    ...(activitySharing === undefined ? {} : { message_activity_sharing: activitySharing }),
    ...(callbackData === undefined ? {} : { biz_opaque_callback_data: callbackData }),
  };
}
