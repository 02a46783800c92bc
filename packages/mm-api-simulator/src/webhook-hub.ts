import type { CallLog, SimulatedCall } from './call-log.ts';
import { MessageLifecycle } from './message-lifecycle.ts';
import { canonicalRecipient } from './rules.ts';
import { DEFAULT_WABA_ID, type Scenario } from './scenario.ts';
import { TaskTracker } from './task-tracker.ts';
import { UserEvents } from './user-events.ts';
import type { UserState } from './user-state.ts';
import {
  type Emission,
  type RawEmitAnswer,
  type RawEmitOptions,
  type WebhookDelivery,
  WebhookEmitter,
  type WebhookStats,
} from './webhook-emitter.ts';
import type { MarketingPreference, WebhookAccount } from './webhook-payloads.ts';

/**
 * Everything webhook-related behind one object for the server: the emitter, the message
 * lifecycles fed from the call log, and the user events.
 */

/** Meta's example WABA id style; used when the scenario's `webhooks.wabaId` is absent. */
export { DEFAULT_WABA_ID } from './scenario.ts';

/**
 * `display_phone_number` for a number without `displayPhoneNumber` in the scenario: a stable
 * US 555 number derived from its id, so that payloads always carry one.
 */
export function fallbackDisplayNumber(phoneNumberId: string): string {
  return `1555${phoneNumberId.slice(-7).padStart(7, '0')}`;
}

/** The simulator state the webhook machinery reads. */
export interface WebhookHubOptions {
  scenario: () => Scenario;
  calls: CallLog;
  users: UserState;
  now: () => number;
  random: () => number;
  maxRecorded: number;
}

/** The server's single entry point to webhooks: target, lifecycles, user events, records. */
export class WebhookHub {
  private readonly options: WebhookHubOptions;
  private readonly tasks = new TaskTracker();
  private readonly emitter: WebhookEmitter;
  private readonly lifecycle: MessageLifecycle;
  private readonly userEvents: UserEvents;

  constructor(options: WebhookHubOptions) {
    this.options = options;
    const account = (phoneNumberId: string): WebhookAccount => this.account(phoneNumberId);
    this.emitter = new WebhookEmitter({
      settings: () => options.scenario().webhooks,
      tasks: this.tasks,
      now: options.now,
      random: options.random,
      maxRecorded: options.maxRecorded,
    });
    this.userEvents = new UserEvents({
      emitter: this.emitter,
      users: options.users,
      calls: options.calls,
      now: options.now,
      account,
      defaultPhoneNumberId: () => options.scenario().phoneNumbers[0]?.id ?? '',
    });
    this.lifecycle = new MessageLifecycle({
      emitter: this.emitter,
      tasks: this.tasks,
      random: options.random,
      account,
      optOut: (call, effect) => this.userEvents.optOutAfterDelivery(call, effect),
    });
  }

  /** Starts the webhooks of an accepted call; other calls have none. */
  handleCall(call: SimulatedCall): void {
    if (call.outcome === 'accepted') this.lifecycle.start(call);
  }

  /** WABA id and metadata for a phone number id, from the scenario in force. */
  account(phoneNumberId: string): WebhookAccount {
    const scenario = this.options.scenario();
    const display = scenario.phoneNumbers.find((phone) => phone.id === phoneNumberId)?.displayPhoneNumber;
    return {
      wabaId: scenario.webhooks?.wabaId ?? DEFAULT_WABA_ID,
      metadata: {
        display_phone_number: display !== undefined ? canonicalRecipient(display) : fallbackDisplayNumber(phoneNumberId),
        phone_number_id: phoneNumberId,
      },
    };
  }

  setTarget(url: string | undefined): void {
    this.emitter.setTarget(url);
  }

  target(): string | undefined {
    return this.emitter.target();
  }

  userPreference(waId: string, value: MarketingPreference): Emission | undefined {
    return this.userEvents.userPreference(waId, value);
  }

  quickReply(wamid: string, payload: string, text?: string): Emission | undefined {
    return this.userEvents.quickReply(wamid, payload, text);
  }

  textMessage(from: string, body: string, phoneNumberId?: string): Emission | undefined {
    return this.userEvents.textMessage(from, body, phoneNumberId);
  }

  /** Posts a template webhook (status, quality or category change). */
  templateEvent(payload: object): Emission | undefined {
    return this.emitter.emit('template', payload);
  }

  emitRaw(payload: object | string, options?: RawEmitOptions): Promise<RawEmitAnswer[]> {
    return this.emitter.emitRaw(payload, options);
  }

  hasStoppedMarketing(waId: string): boolean {
    return this.options.users.hasStoppedMarketing(canonicalRecipient(waId));
  }

  deliveries(): WebhookDelivery[] {
    return this.emitter.deliveries();
  }

  stats(): WebhookStats {
    return this.emitter.stats();
  }

  idle(): Promise<void> {
    return this.tasks.idle();
  }

  /** Cancels everything scheduled and forgets records and counts; the target stays. */
  reset(): void {
    this.tasks.cancelTimers();
    this.lifecycle.clear();
    this.emitter.reset();
  }

  /** Cancels every timer and request for good. */
  stop(): void {
    this.tasks.close();
    this.lifecycle.clear();
    this.emitter.stop();
  }
}
