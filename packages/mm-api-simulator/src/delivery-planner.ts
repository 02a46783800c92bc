import { isExemptFromPerUserLimit } from './per-user-limit.ts';
import type { SendEndpoint, ValidSend } from './request-validation.ts';
import { recipientFraction } from './rules.ts';
import type { OptOutEffect, Scenario, ScenarioRule } from './scenario.ts';
import type { UserState } from './user-state.ts';
import type { PricingCategory } from './webhook-payloads.ts';

/**
 * Decides, when a send is accepted, what happens to the message afterwards: delivered (and
 * read or not) or failed with which code. Decided up front rather than when the webhooks fire,
 * so that the outcome is in the call record at once, does not depend on a webhook target, and
 * the per-user limit counts deterministically with the injected clock.
 */

/** The route the message took: the MM API, a silent fallback to the Cloud API, or /messages. */
export type DeliveryRoute = 'marketing_messages' | 'cloud_api_fallback' | 'cloud_api';

/** Why an accepted message fails: a scenario rule, the user's opt-out, or the per-user limit. */
export type FailureCause = 'rule' | 'opted_out' | 'per_user_cap' | 'early_resend';

/** The fate of an accepted message, recorded as `call.delivery`. */
export interface DeliveryPlan {
  /**
   * `dropped`: accepted, then never delivered within its TTL, silently (a rule's `drop`): no
   * `delivered`, `read` or `failed` status, only `sent` when `drop.afterSent`.
   */
  outcome: 'delivered' | 'failed' | 'dropped';
  route: DeliveryRoute;
  /** `pricing.category` of its delivered and read statuses. */
  pricingCategory: PricingCategory;
  /** `recipient_id` of its statuses: the recipient's digits. */
  recipientId: string;
  bizOpaqueCallbackData?: string;
  /** Set when `outcome` is `failed`. */
  failure?: { code: number; cause: FailureCause; afterSent: boolean };
  /** Set when `outcome` is `dropped`: whether a `sent` status goes out before the silence. */
  drop?: { afterSent: boolean };
  /** The recipient reads it (per `webhooks.readRate`); only meaningful when delivered. */
  read: boolean;
  /** The recipient opts out after delivery (a rule's `optOut`); only when delivered. */
  optOut?: OptOutEffect;
}

/** Everything the planner needs about one accepted send. */
export interface PlanInput {
  endpoint: SendEndpoint;
  route: DeliveryRoute;
  send: ValidSend;
  /** The deciding rule, if any. */
  rule: ScenarioRule | undefined;
  /** The business number's display number, for the per-user-limit exemption. */
  businessNumber: string | undefined;
  /** Acceptance time, epoch ms. */
  at: number;
}

/** Salt of the read decision, so that readers are independent of any rule's `fraction`. */
const READ_SALT = 'webhooks.readRate';
const DEFAULT_READ_RATE = 0.6;

/**
 * `pricing.category` by route and template category, as in Meta's status webhooks:
 * https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status
 */
export function pricingCategoryFor(route: DeliveryRoute, templateCategory: string | undefined): PricingCategory {
  if (route === 'marketing_messages') return 'marketing_lite';
  switch (templateCategory) {
    case 'MARKETING':
      return 'marketing';
    case 'UTILITY':
      return 'utility';
    case 'AUTHENTICATION':
      return 'authentication';
    default:
      // A free-form /messages send: only possible inside a customer service window, which is free.
      return 'service';
  }
}

/**
 * Plans the message's fate and updates the user state it depends on (opt-outs are read, the
 * per-user-limit history is written). Order: opt-out (131050), the rule's `async` or `drop`,
 * then the per-user limit (131049). Only delivered messages count toward the limit's window.
 */
export function planDelivery(input: PlanInput, scenario: Scenario, users: UserState): DeliveryPlan {
  const { send, rule, at } = input;
  const key = send.recipientKey;
  const isMarketing = send.template?.category === 'MARKETING';
  const readRate = scenario.webhooks?.readRate ?? DEFAULT_READ_RATE;
  const base = {
    route: input.route,
    pricingCategory: pricingCategoryFor(input.route, send.template?.category),
    recipientId: send.waId,
    ...(send.bizOpaqueCallbackData !== undefined ? { bizOpaqueCallbackData: send.bizOpaqueCallbackData } : {}),
    read: recipientFraction(READ_SALT, key) < readRate,
  };
  const fail = (code: number, cause: FailureCause, afterSent = false): DeliveryPlan => ({
    ...base,
    outcome: 'failed',
    failure: { code, cause, afterSent },
  });

  const cap = scenario.perUserMarketingCap;
  // Meta does not apply the limit to recipients or business numbers in these countries.
  const limited =
    cap !== undefined &&
    isMarketing &&
    !isExemptFromPerUserLimit(key, cap.exemptCallingCodes) &&
    !(input.businessNumber !== undefined && isExemptFromPerUserLimit(input.businessNumber, cap.exemptCallingCodes));

  let plan: DeliveryPlan;
  if (isMarketing && users.hasStoppedMarketing(key)) {
    plan = fail(131050, 'opted_out');
  } else if (rule?.async) {
    plan = fail(rule.async.failWith, 'rule', rule.async.after === 'sent');
  } else if (rule?.drop) {
    plan = { ...base, outcome: 'dropped', drop: { afterSent: rule.drop.after === 'sent' } };
  } else if (limited) {
    const verdict = users.perUserLimit.check(key, at, cap);
    plan = verdict === 'allowed' ? { ...base, outcome: 'delivered' } : fail(131049, verdict);
  } else {
    plan = { ...base, outcome: 'delivered' };
  }
  if (plan.outcome === 'delivered' && rule?.optOut) plan.optOut = rule.optOut;

  if (limited) {
    if (plan.outcome === 'delivered') users.perUserLimit.recordDelivered(key, at);
    else if (plan.failure?.code === 131049) users.perUserLimit.record131049(key, at);
  }
  return plan;
}
