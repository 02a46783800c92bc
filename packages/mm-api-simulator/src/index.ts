/**
 * mm-api-simulator: a local stand-in for Meta's Marketing Messages API for WhatsApp, for testing
 * any WhatsApp sender without Meta. Start one in process with {@link startSimulator}, or run the
 * `mm-api-simulator` command; describe accounts, limits and injected failures in a scenario
 * ({@link loadScenario}, {@link parseScenario}). The package README documents the behaviour.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages
 * @packageDocumentation
 */

export type { CallListener, CallOutcome, MatchedRuleSummary, SimulatedCall, SimulatorStats } from './call-log.ts';
export type { DeliveryPlan, DeliveryRoute, FailureCause } from './delivery-planner.ts';
// Templates and phone numbers as Meta's Graph API shows them, and template changes.
export { answerGraph, type GraphAnswer, type GraphContext, type GraphRequest } from './graph-api.ts';
// Meta's answers and error codes.
export {
  type ErrorChannel,
  isKnownErrorCode,
  KNOWN_ERROR_CODES,
  type MetaErrorDefinition,
  metaErrorDefinition,
} from './meta-errors.ts';
export { isExemptFromPerUserLimit, PER_USER_LIMIT_EXEMPT_CALLING_CODES, type PerUserMarketingCap } from './per-user-limit.ts';
export {
  type ErrorAnswer,
  type ErrorOverrides,
  errorAnswer,
  type MessageStatus,
  type MetaErrorBody,
  type MetaSuccessBody,
} from './responses.ts';
export { canonicalRecipient, type MatchedRule, RuleEngine, type RuleSubject, recipientFraction } from './rules.ts';
// Scenarios: accounts, templates, limits and rules.
export {
  type AsyncOutcome,
  type Latency,
  loadScenario,
  MESSAGING_LIMIT_TIERS,
  type OptOutEffect,
  PHONE_NUMBER_STATUSES,
  parseScenario,
  QUALITY_SCORES,
  type QualityScore,
  type Scenario,
  ScenarioError,
  type ScenarioInput,
  type ScenarioPhoneNumber,
  type ScenarioRule,
  type ScenarioTemplate,
  type ScenarioTemplateButton,
  scenarioSchema,
  TEMPLATE_STATUSES,
  type TemplateStatus,
  type WebhookSettings,
} from './scenario.ts';
// The simulator itself.
export {
  type Simulator,
  type SimulatorOptions,
  type SimulatorServerOptions,
  startSimulator,
} from './server.ts';
export {
  derivedTemplateId,
  type ParameterFormat,
  TemplateCatalog,
  type TemplateCategory,
  type TemplateTranslation,
} from './template-catalog.ts';
export { APPROVED_EDIT_LIMITS, DEFAULT_TTL_SECONDS, EDITABLE_STATUSES, TTL_RANGE_SECONDS } from './template-edits.ts';
export { type TemplateChange, templateChangeSchema, UnknownTemplateError } from './template-events.ts';
export {
  DEFAULT_PAUSE_INFO,
  type TemplateEventSubject,
  type TemplateOtherInfo,
  type TemplateWebhookField,
  type TemplateWebhookPayload,
  templateCategoryPayload,
  templateQualityPayload,
  templateStatusPayload,
} from './template-webhooks.ts';
export type {
  RawEmitAnswer,
  RawEmitOptions,
  SignatureMode,
  WebhookDelivery,
  WebhookKind,
  WebhookStats,
} from './webhook-emitter.ts';

// Meta's webhook payloads and signatures, reusable as test factories and by receivers.
export {
  type BatchLayout,
  type InboundMessage,
  type MarketingPreference,
  type PricingCategory,
  pricingFor,
  profileNameFor,
  quickReplyPayload,
  type StatusInput,
  type StatusValue,
  statusObject,
  statusPayload,
  textMessagePayload,
  type UserEventInput,
  type UserPreferenceUpdate,
  unixSeconds,
  userPreferencePayload,
  WEBHOOK_ERROR_HREF,
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
  wamidsIn,
  webhookError,
} from './webhook-payloads.ts';
export { SIGNATURE_HEADER, serializeWebhookBody, signWebhookBody, verifyWebhookSignature } from './webhook-signature.ts';
