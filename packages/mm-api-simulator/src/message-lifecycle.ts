import type { SimulatedCall } from './call-log.ts';
import type { DeliveryPlan } from './delivery-planner.ts';
import { type OptOutEffect, sampleLatency, type WebhookSettings } from './scenario.ts';
import type { TaskTracker } from './task-tracker.ts';
import type { WebhookEmitter } from './webhook-emitter.ts';
import {
  type BatchLayout,
  type StatusValue,
  statusObject,
  statusPayload,
  unixSeconds,
  type WebhookAccount,
  type WebhookStatus,
} from './webhook-payloads.ts';

/**
 * Plays out an accepted message's plan as status webhooks: `sent`, `delivered`, `read` (or
 * `failed`; for a dropped message `sent` or nothing), one `delayMs` apart, optionally out of
 * order and batched, then the recipient's opt-out if a rule asked for one.
 */

/** The statuses a plan produces, in logical order. */
export function lifecycleStatuses(plan: DeliveryPlan): StatusValue[] {
  if (plan.outcome === 'dropped') return plan.drop?.afterSent ? ['sent'] : [];
  if (plan.outcome === 'failed') return plan.failure?.afterSent ? ['sent', 'failed'] : ['failed'];
  return plan.read ? ['sent', 'delivered', 'read'] : ['sent', 'delivered'];
}

/**
 * The order to post a message's statuses in (indexes into its logical order): a random
 * permutation of 0..n-1 that is never the identity for n ≥ 2, because `reorder` promises every
 * message out of order, which tests and the demo rely on.
 */
export function outOfOrderPermutation(length: number, random: () => number): number[] {
  const order = Array.from({ length }, (_, i) => i);
  for (let i = length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] ?? j, order[i] ?? i];
  }
  if (length >= 2 && order.every((value, index) => value === index)) order.push(order.shift() ?? 0);
  return order;
}

/** Statuses of one phone number that fall due within this window share a POST (maxStatusesPerPost > 1). */
export const BATCH_WINDOW_MS = 25;
const BATCH_LAYOUTS: readonly BatchLayout[] = ['statuses', 'changes', 'entries'];

/** What a {@link MessageLifecycle} posts through and reads from. */
export interface MessageLifecycleOptions {
  emitter: WebhookEmitter;
  tasks: TaskTracker;
  random: () => number;
  /** WABA id and metadata of a phone number id. */
  account: (phoneNumberId: string) => WebhookAccount;
  /** Carries out a rule's opt-out for the recipient of `call`. */
  optOut: (call: SimulatedCall, effect: OptOutEffect) => void;
}

/** Schedules and posts the status webhooks of accepted messages, batching them when the scenario asks to. */
export class MessageLifecycle {
  private readonly options: MessageLifecycleOptions;
  private readonly batches = new Map<string, WebhookStatus[]>();
  private batchCount = 0;

  constructor(options: MessageLifecycleOptions) {
    this.options = options;
  }

  /**
   * Schedules the webhooks of an accepted call. The first comes `delayMs` after the send's
   * answer, each further one `delayMs` after the previous. Timestamps follow the logical order
   * even when the posts do not, as with Meta. Without a target, everything is dropped.
   */
  start(call: SimulatedCall): void {
    const plan = call.delivery;
    const wamid = call.wamid;
    if (!plan || wamid === undefined) return;
    const statuses = lifecycleStatuses(plan);
    const settings = this.options.emitter.activeSettings();
    if (!settings) {
      this.options.emitter.noteDropped(statuses.length + (plan.optOut ? 1 : 0));
      return;
    }
    const { random } = this.options;
    const gaps = statuses.map(() => sampleLatency(settings.delayMs, random));
    let elapsed = call.latencyMs;
    const webhookStatuses = statuses.map((status, index) => {
      elapsed += gaps[index] ?? 0;
      return statusObject({
        wamid,
        status,
        timestamp: unixSeconds(call.at + elapsed),
        recipientId: plan.recipientId,
        bizOpaqueCallbackData: plan.bizOpaqueCallbackData,
        pricingCategory: plan.pricingCategory,
        errorCode: plan.failure?.code,
      });
    });
    const postingOrder = settings.reorder ? outOfOrderPermutation(statuses.length, random) : statuses.map((_, index) => index);
    const steps: Array<{ delayMs: number; run: () => void }> = postingOrder.map((statusIndex, step) => ({
      delayMs: (step === 0 ? call.latencyMs : 0) + (gaps[step] ?? 0),
      run: () => {
        const status = webhookStatuses[statusIndex];
        if (status) this.enqueue(call.phoneNumberId, status);
      },
    }));
    const optOut = plan.optOut;
    if (optOut) steps.push({ delayMs: sampleLatency(settings.delayMs, random), run: () => this.options.optOut(call, optOut) });
    this.runChain(steps);
  }

  /**
   * Runs steps one after the other, each timer started by the previous step. Separate timers of
   * different durations can fire out of order when the event loop lags; a chain cannot.
   */
  private runChain(steps: ReadonlyArray<{ delayMs: number; run: () => void }>, index = 0): void {
    const step = steps[index];
    if (!step) return;
    this.options.tasks.schedule(step.delayMs, () => {
      try {
        step.run();
      } finally {
        this.runChain(steps, index + 1);
      }
    });
  }

  /** Forgets statuses waiting for a batch (their flush timers are the tracker's to clear). */
  clear(): void {
    this.batches.clear();
  }

  private enqueue(phoneNumberId: string, status: WebhookStatus): void {
    const settings = this.options.emitter.activeSettings();
    if (!settings) {
      this.options.emitter.noteDropped();
      return;
    }
    if (settings.maxStatusesPerPost <= 1) {
      this.post(phoneNumberId, [status]);
      return;
    }

    const pending = this.batches.get(phoneNumberId) ?? [];
    pending.push(status);
    this.batches.set(phoneNumberId, pending);
    if (pending.length >= settings.maxStatusesPerPost) this.flush(phoneNumberId, settings);
    else if (pending.length === 1) this.options.tasks.schedule(BATCH_WINDOW_MS, () => this.flushIfActive(phoneNumberId));
  }

  private flushIfActive(phoneNumberId: string): void {
    const settings = this.options.emitter.activeSettings();
    if (settings) {
      this.flush(phoneNumberId, settings);
      return;
    }
    this.options.emitter.noteDropped(this.batches.get(phoneNumberId)?.length ?? 0);
    this.batches.delete(phoneNumberId);
  }

  private flush(phoneNumberId: string, settings: WebhookSettings): void {
    const pending = this.batches.get(phoneNumberId) ?? [];
    this.batches.delete(phoneNumberId);
    for (let start = 0; start < pending.length; start += settings.maxStatusesPerPost) {
      this.post(phoneNumberId, pending.slice(start, start + settings.maxStatusesPerPost));
    }
  }

  private post(phoneNumberId: string, statuses: WebhookStatus[]): void {
    // Rotating the layout makes a receiver meet all three shapes Meta uses for batches.
    const layout = statuses.length > 1 ? (BATCH_LAYOUTS[this.batchCount++ % BATCH_LAYOUTS.length] ?? 'statuses') : 'statuses';
    this.options.emitter.emit('status', statusPayload({ ...this.options.account(phoneNumberId), statuses, layout }));
  }
}
