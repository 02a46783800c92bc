import { canonicalRecipient } from './rules.ts';
import type { ScenarioPhoneNumber, ScenarioTemplateButton } from './scenario.ts';
import type { TemplateTranslation } from './template-catalog.ts';
import { fallbackDisplayNumber } from './webhook-hub.ts';
import { unixSeconds } from './webhook-payloads.ts';

/**
 * Graph's views of the objects the simulator holds: a template and a business phone number,
 * field by field, so that `?fields=` can pick among them.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-account/template-api
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/phone-number-api
 */

type FieldReaders<T> = Readonly<Record<string, (object: T) => unknown>>;

/** Meta's standard throughput; a higher rate means the number was upgraded to HIGH. */
const STANDARD_RATE_PER_SECOND = 80;

/** The BODY component with Meta's `example` of its parameters. */
function bodyComponent(template: TemplateTranslation): Record<string, unknown> {
  if (template.bodyParamCount === 0) return { type: 'BODY', text: template.bodyText };
  const example =
    template.parameterFormat === 'NAMED'
      ? { body_text_named_params: template.namedParams.map((name) => ({ param_name: name, example: `sample_${name}` })) }
      : { body_text: [Array.from({ length: template.bodyParamCount }, (_, index) => `sample_${index + 1}`)] };
  return { type: 'BODY', text: template.bodyText, example };
}

/** The `{{…}}` placeholders of a component's text, in order. */
function placeholdersOf(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((match) => match[1]!);
}

/** The TEXT HEADER component, with Meta's `example` when its text has a parameter. */
function headerComponent(template: TemplateTranslation, text: string): Record<string, unknown> {
  const [parameter] = placeholdersOf(text);
  if (parameter === undefined) return { type: 'HEADER', format: 'TEXT', text };
  const example =
    template.parameterFormat === 'NAMED'
      ? { header_text_named_params: [{ param_name: parameter, example: `sample_${parameter}` }] }
      : { header_text: ['sample_header'] };
  return { type: 'HEADER', format: 'TEXT', text, example };
}

/** One button as Graph shows it; a dynamic URL (`{{1}}`) and a copy-code button carry an `example`. */
function buttonView(button: ScenarioTemplateButton): Record<string, unknown> {
  switch (button.type) {
    case 'URL':
      return placeholdersOf(button.url).length > 0
        ? { type: 'URL', text: button.text, url: button.url, example: [button.url.replace(/\{\{[^}]*\}\}/g, 'sample')] }
        : { type: 'URL', text: button.text, url: button.url };
    case 'QUICK_REPLY':
      return { type: 'QUICK_REPLY', text: button.text };
    case 'COPY_CODE':
      return { type: 'COPY_CODE', text: 'Copy offer code', example: button.example ?? 'SAMPLE10' };
    case 'PHONE_NUMBER':
      return { type: 'PHONE_NUMBER', text: button.text, phone_number: button.phoneNumber };
  }
}

/** The template's components in Meta's order: HEADER (if any), BODY, BUTTONS (if any). */
function componentsOf(template: TemplateTranslation): Record<string, unknown>[] {
  return [
    ...(template.headerText !== undefined ? [headerComponent(template, template.headerText)] : []),
    bodyComponent(template),
    ...(template.buttons.length > 0 ? [{ type: 'BUTTONS', buttons: template.buttons.map(buttonView) }] : []),
  ];
}

const TEMPLATE_FIELDS: FieldReaders<TemplateTranslation> = {
  id: (template) => template.id,
  name: (template) => template.name,
  language: (template) => template.language,
  status: (template) => template.status,
  category: (template) => template.category,
  quality_score: (template) => ({
    score: template.qualityScore,
    ...(template.qualityChangedAt !== undefined ? { date: unixSeconds(template.qualityChangedAt) } : {}),
  }),
  components: componentsOf,
  parameter_format: (template) => template.parameterFormat,
  message_send_ttl_seconds: (template) => template.ttlSeconds,
  rejected_reason: (template) => (template.status === 'REJECTED' ? 'OTHER' : 'NONE'),
};

const PHONE_FIELDS: FieldReaders<ScenarioPhoneNumber> = {
  id: (phone) => phone.id,
  display_phone_number: (phone) =>
    `+${phone.displayPhoneNumber !== undefined ? canonicalRecipient(phone.displayPhoneNumber) : fallbackDisplayNumber(phone.id)}`,
  verified_name: (phone) => phone.verifiedName ?? 'Simulated Business',
  quality_rating: (phone) => phone.qualityRating ?? 'GREEN',
  status: (phone) => phone.status ?? 'CONNECTED',
  throughput: (phone) => ({ level: phone.throughputLevel ?? (phone.ratePerSecond > STANDARD_RATE_PER_SECOND ? 'HIGH' : 'STANDARD') }),
  messaging_limit_tier: (phone) => phone.messagingLimitTier ?? 'TIER_1K',
  code_verification_status: () => 'VERIFIED',
  platform_type: () => 'CLOUD_API',
};

/** Graph's node type names, as its "nonexisting field" errors name them. */
export type GraphNodeType = 'WhatsAppBusinessHSM' | 'WhatsAppBusinessPhoneNumber';

/** A Graph object kind: its node type, its fields, and the ones Graph returns without `?fields=`. */
export interface GraphObjectKind<T> {
  nodeType: GraphNodeType;
  fields: FieldReaders<T>;
  defaultFields: readonly string[];
}

export const TEMPLATE_KIND: GraphObjectKind<TemplateTranslation> = {
  nodeType: 'WhatsAppBusinessHSM',
  fields: TEMPLATE_FIELDS,
  defaultFields: ['name', 'parameter_format', 'components', 'language', 'status', 'category', 'id'],
};

export const PHONE_NUMBER_KIND: GraphObjectKind<ScenarioPhoneNumber> = {
  nodeType: 'WhatsAppBusinessPhoneNumber',
  fields: PHONE_FIELDS,
  defaultFields: [
    'verified_name',
    'code_verification_status',
    'display_phone_number',
    'quality_rating',
    'platform_type',
    'throughput',
    'id',
  ],
};

/** `?fields=` split into names; undefined when absent or empty (Graph's default fields apply). */
export function requestedFields(query: URLSearchParams): string[] | undefined {
  const names = (query.get('fields') ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  return names.length > 0 ? names : undefined;
}

/** The first requested field the kind does not have, or undefined. */
export function unknownField<T>(kind: GraphObjectKind<T>, fields: readonly string[] | undefined): string | undefined {
  return fields?.find((name) => !(name in kind.fields));
}

/** The object with the requested fields (plus `id`, which Graph always includes), in the order asked. */
export function viewOf<T>(kind: GraphObjectKind<T>, object: T, fields: readonly string[] | undefined): Record<string, unknown> {
  const names = fields ?? kind.defaultFields;
  const view: Record<string, unknown> = {};
  for (const name of [...names.filter((field) => field !== 'id'), 'id']) view[name] = kind.fields[name]?.(object);
  return view;
}
