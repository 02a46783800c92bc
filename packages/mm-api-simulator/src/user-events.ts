import type { CallLog, SimulatedCall } from './call-log.ts';
import { newWamid } from './responses.ts';
import { canonicalRecipient } from './rules.ts';
import type { OptOutEffect } from './scenario.ts';
import type { UserState } from './user-state.ts';
import type { Emission, WebhookEmitter } from './webhook-emitter.ts';
import {
  type MarketingPreference,
  quickReplyPayload,
  textMessagePayload,
  unixSeconds,
  userPreferencePayload,
  type WebhookAccount,
} from './webhook-payloads.ts';

/**
 * What recipients do on their side: press Stop/Resume, tap a quick reply, type a message. Each
 * becomes a webhook; Stop/Resume also changes the simulator's opt-out state.
 */

/** A quick reply names a wamid the call log does not hold as an accepted send. */
export class UnknownWamidError extends Error {
  constructor(wamid: string) {
    super(`No accepted send with wamid ${wamid} in the call log`);
    this.name = 'UnknownWamidError';
  }
}

/** Button text when a rule's opt-out taps the quick reply. */
const OPT_OUT_BUTTON_TEXT = 'Stop promotions';

/** What {@link UserEvents} emits through and looks up. */
export interface UserEventsOptions {
  emitter: WebhookEmitter;
  users: UserState;
  calls: CallLog;
  now: () => number;
  account: (phoneNumberId: string) => WebhookAccount;
  /** The number a user event goes to when the user was never messaged. */
  defaultPhoneNumberId: () => string;
}

/** Turns recipients' actions into webhooks (and Stop/Resume into opt-out state). */
export class UserEvents {
  private readonly options: UserEventsOptions;

  constructor(options: UserEventsOptions) {
    this.options = options;
  }

  /**
   * The user presses Stop or Resume: the opt-out state changes at once (even without a target),
   * then the `user_preferences` webhook goes out. The business number is the one that last
   * messaged the user, else `phoneNumberId`, else the first of the scenario.
   */
  userPreference(waId: string, value: MarketingPreference, phoneNumberId?: string): Emission | undefined {
    const key = canonicalRecipient(waId);
    this.options.users.setMarketingPreference(key, value);
    const payload = userPreferencePayload({
      ...this.options.account(phoneNumberId ?? this.phoneFor(waId)),
      waId: key,
      value,
      timestamp: unixSeconds(this.options.now()),
    });
    return this.options.emitter.emit('user_preferences', payload);
  }

  /**
   * The recipient of `wamid` taps a quick-reply button on it.
   *
   * @throws UnknownWamidError when `wamid` is not an accepted send the call log still holds.
   */
  quickReply(wamid: string, payload: string, text: string = payload): Emission | undefined {
    const call = this.options.calls.findByWamid(wamid);
    if (call?.outcome !== 'accepted' || call.recipient === undefined) {
      throw new UnknownWamidError(wamid);
    }
    return this.quickReplyTo(call, wamid, payload, text);
  }

  /** `from` types `body` to the business number (chosen as for {@link userPreference}). */
  textMessage(from: string, body: string, phoneNumberId?: string): Emission | undefined {
    const waId = canonicalRecipient(from);
    return this.options.emitter.emit(
      'message',
      textMessagePayload({
        ...this.options.account(phoneNumberId ?? this.phoneFor(from)),
        waId,
        messageId: newWamid(waId),
        body,
        timestamp: unixSeconds(this.options.now()),
      }),
    );
  }

  /** Carries out a rule's `optOut` for the recipient of a delivered call. */
  optOutAfterDelivery(call: SimulatedCall, effect: OptOutEffect): void {
    const waId = call.delivery?.recipientId ?? canonicalRecipient(call.recipient ?? '');
    switch (effect.via) {
      case 'user_preferences':
        this.userPreference(waId, 'stop', call.phoneNumberId);
        return;
      case 'quick_reply':
        if (call.wamid !== undefined) this.quickReplyTo(call, call.wamid, effect.payload, OPT_OUT_BUTTON_TEXT);
        return;
      case 'keyword':
        this.textMessage(waId, effect.keyword, call.phoneNumberId);
        return;
    }
  }

  private quickReplyTo(call: SimulatedCall, wamid: string, payload: string, text: string): Emission | undefined {
    const waId = call.delivery?.recipientId ?? canonicalRecipient(call.recipient ?? '');
    return this.options.emitter.emit(
      'message',
      quickReplyPayload({
        ...this.options.account(call.phoneNumberId),
        waId,
        messageId: newWamid(waId),
        contextWamid: wamid,
        payload,
        text,
        timestamp: unixSeconds(this.options.now()),
      }),
    );
  }

  private phoneFor(waId: string): string {
    return this.options.calls.latestAcceptedFor(waId)?.phoneNumberId ?? this.options.defaultPhoneNumberId();
  }
}
