/**
 * mm-api-simulator: a local stand-in for Meta's Marketing Messages API for WhatsApp, for testing
 * any WhatsApp sender without Meta. Start one in process with {@link startSimulator}, or run the
 * `mm-api-simulator` command; describe accounts, limits and injected failures in a scenario
 * ({@link loadScenario}, {@link parseScenario}). The package README documents the behaviour.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages
 * @packageDocumentation
 */

// The simulator itself.
export {
  startSimulator,
  type Simulator,
  type SimulatorOptions,
  type SimulatorServerOptions,
} from './server.ts';
export type { CallListener, CallOutcome, MatchedRuleSummary, SimulatedCall, SimulatorStats } from './call-log.ts';
export type { DeliveryPlan, DeliveryRoute, FailureCause } from './delivery-planner.ts';
export type {
  RawEmitAnswer,
  RawEmitOptions,
  SignatureMode,
  WebhookDelivery,
  WebhookKind,
  WebhookStats,
} from './webhook-emitter.ts';

// Scenarios: accounts, templates, limits and rules.
export {
  loadScenario,
  parseScenario,
  scenarioSchema,
  ScenarioError,
  type AsyncOutcome,
  type Latency,
  type OptOutEffect,
  type Scenario,
  type ScenarioInput,
  type ScenarioPhoneNumber,
  type ScenarioRule,
  type ScenarioTemplate,
  type WebhookSettings,
} from './scenario.ts';
export { canonicalRecipient, recipientFraction, RuleEngine, type MatchedRule, type RuleSubject } from './rules.ts';
export { isExemptFromPerUserLimit, PER_USER_LIMIT_EXEMPT_CALLING_CODES, type PerUserMarketingCap } from './per-user-limit.ts';

// Meta's answers and error codes.
export {
  isKnownErrorCode,
  KNOWN_ERROR_CODES,
  metaErrorDefinition,
  type ErrorChannel,
  type MetaErrorDefinition,
} from './meta-errors.ts';
export {
  errorAnswer,
  type ErrorAnswer,
  type ErrorOverrides,
  type MessageStatus,
  type MetaErrorBody,
  type MetaSuccessBody,
} from './responses.ts';

// Meta's webhook payloads and signatures, reusable as test factories and by receivers.
export {
  pricingFor,
  profileNameFor,
  quickReplyPayload,
  statusObject,
  statusPayload,
  textMessagePayload,
  unixSeconds,
  userPreferencePayload,
  wamidsIn,
  WEBHOOK_ERROR_HREF,
  webhookError,
  type BatchLayout,
  type InboundMessage,
  type MarketingPreference,
  type PricingCategory,
  type StatusInput,
  type StatusValue,
  type UserEventInput,
  type UserPreferenceUpdate,
  type WebhookAccount,
  type WebhookChange,
  type WebhookContact,
  type WebhookEntry,
  type WebhookError,
  type WebhookField,
  type WebhookMetadata,
  type WebhookPayload,
  type WebhookPricing,
  type WebhookStatus,
  type WebhookValue,
} from './webhook-payloads.ts';
export { SIGNATURE_HEADER, serializeWebhookBody, signWebhookBody, verifyWebhookSignature } from './webhook-signature.ts';
