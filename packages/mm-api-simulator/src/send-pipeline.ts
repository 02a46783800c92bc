import type { MatchedRuleSummary, SimulatedCall } from './call-log.ts';
import { type DeliveryRoute, planDelivery } from './delivery-planner.ts';
import { PairRateLimiter, SlidingWindowLimiter } from './rate-limiters.ts';
import { type SendEndpoint, summariseBody, validateSend } from './request-validation.ts';
import { type ErrorAnswer, type ErrorOverrides, errorAnswer, type MessageStatus, newWamid, successBody } from './responses.ts';
import { type MatchedRule, RuleEngine } from './rules.ts';
import { type Scenario, type ScenarioPhoneNumber, sampleLatency } from './scenario.ts';
import { TemplateCatalog } from './template-catalog.ts';
import { UserState } from './user-state.ts';

/** A send request as the HTTP layer hands it over. */
export interface SendRequest {
  endpoint: SendEndpoint;
  apiVersion: string;
  phoneNumberId: string;
  /** From `Authorization: Bearer …` or Graph's `access_token` query parameter. */
  accessToken: string | undefined;
  /** Parsed JSON, or `invalidJson` when the body could not be parsed. */
  body: unknown;
  invalidJson: boolean;
}

/** What the HTTP layer must do with a send. */
export type SendAction =
  | { kind: 'answer'; status: number; body: object; latencyMs: number }
  /** Never answer; hold the socket until the client or `stop()` closes it. */
  | { kind: 'timeout' }
  /** Destroy the socket without an answer, after `latencyMs`. */
  | { kind: 'reset'; latencyMs: number };

/** The decision for one send plus its call record (without `seq`, which the log assigns). */
export interface SendDecision {
  action: SendAction;
  call: Omit<SimulatedCall, 'seq'>;
}

/**
 * The simulator's answer when a `fallback` rule meets `product_policy: STRICT`. Meta does not
 * document which code it uses; 131055 is the closest documented meaning ("not allowed").
 */
export const STRICT_FALLBACK_ERROR = {
  code: 131055,
  details: 'The message is not eligible for the Marketing Messages API and product_policy STRICT forbids falling back to the Cloud API.',
} as const;

function summariseRule(matched: MatchedRule): MatchedRuleSummary {
  return { index: matched.index, name: matched.rule.name, async: matched.rule.async };
}

/**
 * Decides every send for one scenario: auth, phone number, body, throughput, pair rate, rules,
 * success, in that order, and plans each accepted message's fate (`call.delivery`). Holds the
 * rate and rule state, so replacing the scenario or resetting means building a new pipeline;
 * the user state (opt-outs, per-user limit) is passed in because it outlives scenarios. The
 * template catalog (statuses, TTL edits) lives here too, so it follows the same lifecycle.
 */
export class SendPipeline {
  readonly scenario: Scenario;
  readonly templates: TemplateCatalog;
  private readonly now: () => number;
  private readonly tokens: ReadonlySet<string>;
  private readonly phones: ReadonlyMap<string, ScenarioPhoneNumber>;
  private readonly throughput = new Map<string, SlidingWindowLimiter>();
  private readonly pairRate: PairRateLimiter | undefined;
  private readonly rules: RuleEngine;
  private readonly users: UserState;

  constructor(scenario: Scenario, now: () => number, users: UserState = new UserState()) {
    this.scenario = scenario;
    this.now = now;
    this.users = users;
    this.templates = new TemplateCatalog(scenario, now);
    this.tokens = new Set(scenario.tokens);
    this.phones = new Map(scenario.phoneNumbers.map((phone) => [phone.id, phone]));
    for (const phone of scenario.phoneNumbers) this.throughput.set(phone.id, new SlidingWindowLimiter(phone.ratePerSecond));
    this.pairRate = scenario.pairRateLimit
      ? new PairRateLimiter({ burst: scenario.pairBurst, intervalMs: scenario.pairIntervalSeconds * 1000 })
      : undefined;
    this.rules = new RuleEngine(scenario.rules);
  }

  /** True for one of the scenario's tokens. */
  acceptsToken(token: string | undefined): boolean {
    return token !== undefined && this.tokens.has(token);
  }

  decide(request: SendRequest): SendDecision {
    const at = this.now();
    const summary = summariseBody(request.body);
    const baseCall = {
      at: Math.floor(at),
      endpoint: request.endpoint,
      apiVersion: request.apiVersion,
      phoneNumberId: request.phoneNumberId,
      ...summary,
      body: request.invalidJson ? undefined : request.body,
    };
    const defaultLatency = sampleLatency(this.scenario.latencyMs);

    const fail = (code: number, overrides: ErrorOverrides = {}, rule?: MatchedRule, latencyMs = defaultLatency): SendDecision => {
      const answer: ErrorAnswer = errorAnswer(code, overrides);
      return {
        action: { kind: 'answer', status: answer.status, body: answer.body, latencyMs },
        call: { ...baseCall, outcome: code, httpStatus: answer.status, latencyMs, ...(rule ? { rule: summariseRule(rule) } : {}) },
      };
    };

    if (!this.acceptsToken(request.accessToken)) return fail(190);

    const phone = this.phones.get(request.phoneNumberId);
    if (!phone) {
      // What Graph answers for an id that does not exist or that the token cannot see.
      return fail(100, {
        title: `Unsupported post request. Object with ID '${request.phoneNumberId}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
        type: 'GraphMethodException',
        subcode: 33,
        graphLevel: true,
      });
    }
    if (!phone.registered) return fail(133010);

    if (request.invalidJson) return fail(100, { details: 'The request body is not valid JSON.' });
    const validation = validateSend(request.body, request.endpoint, { scenario: this.scenario, templates: this.templates }, phone);
    if (!validation.ok) return fail(validation.error.code, validation.error.overrides);
    const send = validation.send;

    // Only admitted sends take a throughput slot; a 130429 does not, or a client that overshoots
    // once would be locked out for as long as it keeps retrying.
    if (!this.throughput.get(phone.id)?.tryAdmit(at)) return fail(130429);
    if (this.pairRate && !this.pairRate.tryTake(`${phone.id}|${send.recipientKey}`, at)) return fail(131056);

    const matched = this.rules.decide({ phoneNumberId: phone.id, recipientKey: send.recipientKey, template: send.template?.name });
    const rule = matched?.rule;
    const latencyMs = rule?.latencyMs !== undefined ? sampleLatency(rule.latencyMs) : defaultLatency;
    const ruleSummary = matched ? { rule: summariseRule(matched) } : {};

    if (rule?.error !== undefined) {
      return fail(rule.error, rule.errorDetails !== undefined ? { details: rule.errorDetails } : {}, matched, latencyMs);
    }
    if (rule?.timeout) {
      return {
        action: { kind: 'timeout' },
        call: { ...baseCall, outcome: 'timeout', httpStatus: undefined, latencyMs: 0, ...ruleSummary },
      };
    }
    if (rule?.reset) {
      return {
        action: { kind: 'reset', latencyMs },
        call: { ...baseCall, outcome: 'reset', httpStatus: undefined, latencyMs, ...ruleSummary },
      };
    }

    let route: DeliveryRoute = request.endpoint === 'marketing_messages' ? 'marketing_messages' : 'cloud_api';
    if (rule?.fallback && request.endpoint === 'marketing_messages') {
      // Meta's default policy is CLOUD_API_FALLBACK, so an absent product_policy falls back too.
      if (send.productPolicy === 'STRICT')
        return fail(STRICT_FALLBACK_ERROR.code, { details: STRICT_FALLBACK_ERROR.details }, matched, latencyMs);
      route = 'cloud_api_fallback';
    }

    const messageStatus: MessageStatus = rule?.messageStatus ?? 'accepted';
    const wamid = newWamid(send.waId);
    const delivery = planDelivery(
      { endpoint: request.endpoint, route, send, rule, businessNumber: phone.displayPhoneNumber, at },
      this.scenario,
      this.users,
    );
    return {
      action: { kind: 'answer', status: 200, body: successBody(send.recipientInput, send.waId, wamid, messageStatus), latencyMs },
      call: { ...baseCall, outcome: 'accepted', httpStatus: 200, wamid, messageStatus, latencyMs, ...ruleSummary, delivery },
    };
  }
}
