import type { ErrorOverrides } from './responses.ts';
import { canonicalRecipient } from './rules.ts';
import type { Scenario, ScenarioPhoneNumber, ScenarioTemplate } from './scenario.ts';
import type { TemplateCatalog, TemplateTranslation } from './template-catalog.ts';

/**
 * Checks a send request's body the way Meta does, answering with Meta's codes. Meta's checks
 * run in no fixed order; this module uses one fixed, documented order.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/marketing-messages/send-marketing-messages
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes
 */

/** Which send endpoint was called. */
export type SendEndpoint = 'marketing_messages' | 'messages';

/** A request that passed validation. */
export interface ValidSend {
  /** `to` (or `recipient`) exactly as sent: echoed in `contacts[0].input`. */
  recipientInput: string;
  /** `contacts[0].wa_id`: the digits of the number (unless the scenario's `waIds` says otherwise), or a business-scoped user id unchanged. */
  waId: string;
  /** The canonical recipient key used for rules and pair limits. */
  recipientKey: string;
  type: string;
  /** Undefined for non-template sends on /messages; the category is the one in force now. */
  template: SendTemplate | undefined;
  language: string | undefined;
  /** Echoed in the status webhooks. */
  bizOpaqueCallbackData: string | undefined;
  /** `/marketing_messages` only; Meta's default when absent is CLOUD_API_FALLBACK. */
  productPolicy: ProductPolicy | undefined;
}

/** The template a send uses: its name and current category. */
export type SendTemplate = Pick<ScenarioTemplate, 'name' | 'category'>;

/** What validation reads besides the body: the scenario's `waIds` and the template catalog in force. */
export interface SendValidationContext {
  scenario: Pick<Scenario, 'waIds'>;
  templates: TemplateCatalog;
}

/** `product_policy` of an MM API send. */
export type ProductPolicy = 'CLOUD_API_FALLBACK' | 'STRICT';

/** A request that failed validation, with the Meta error to answer. */
export interface InvalidSend {
  code: number;
  overrides: ErrorOverrides;
}

/** The outcome of {@link validateSend}: the send to go on with, or the Meta error to answer. */
export type ValidationResult = { ok: true; send: ValidSend } | { ok: false; error: InvalidSend };

const COMMON_FIELDS = ['messaging_product', 'recipient_type', 'to', 'recipient', 'type', 'template', 'biz_opaque_callback_data'];
const MARKETING_ONLY_FIELDS = ['product_policy', 'message_activity_sharing'];
/** Cloud API message types /messages accepts without checking their content beyond "is an object". */
const CLOUD_MESSAGE_TYPES = ['text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'interactive', 'reaction'];
const ALLOWED_FIELDS: Record<SendEndpoint, ReadonlySet<string>> = {
  marketing_messages: new Set([...COMMON_FIELDS, ...MARKETING_ONLY_FIELDS]),
  messages: new Set([...COMMON_FIELDS, ...CLOUD_MESSAGE_TYPES, 'context']),
};
const TEMPLATE_FIELDS = new Set(['name', 'language', 'components', 'namespace']);
const COMPONENT_TYPES = new Set(['header', 'body', 'button', 'footer', 'carousel', 'limited_time_offer']);
const PRODUCT_POLICIES = new Set(['CLOUD_API_FALLBACK', 'STRICT']);
/** Meta documents a 512-character limit for biz_opaque_callback_data. */
const MAX_CALLBACK_DATA_LENGTH = 512;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Code 100 with Meta's habit of putting the specific reason into the message itself. */
function invalidParameter(text: string): ValidationResult {
  return { ok: false, error: { code: 100, overrides: { title: text, details: text } } };
}

function fail(code: number, details: string): ValidationResult {
  return { ok: false, error: { code, overrides: { details } } };
}

/** The parts of a body worth recording even when the body is invalid. */
export interface BodySummary {
  recipient: string | undefined;
  template: string | undefined;
  language: string | undefined;
}

/** Picks recipient, template name and language out of any body, without validating it. */
export function summariseBody(body: unknown): BodySummary {
  if (!isObject(body)) return { recipient: undefined, template: undefined, language: undefined };
  const recipient = typeof body.to === 'string' ? body.to : typeof body.recipient === 'string' ? body.recipient : undefined;
  const template = isObject(body.template) ? body.template : undefined;
  const language = template && isObject(template.language) ? template.language.code : undefined;
  return {
    recipient,
    template: typeof template?.name === 'string' ? template.name : undefined,
    language: typeof language === 'string' ? language : undefined,
  };
}

/**
 * Validates a parsed send body for `endpoint` against the scenario's templates.
 * Order: shape, messaging_product, type (MM API: template only), unknown fields, optional
 * fields, recipient, template (existence, language, category, parameters).
 */
export function validateSend(
  body: unknown,
  endpoint: SendEndpoint,
  context: SendValidationContext,
  phone: ScenarioPhoneNumber,
): ValidationResult {
  if (!isObject(body)) return invalidParameter('The request body must be a JSON object.');

  if (body.messaging_product === undefined) return invalidParameter('The parameter messaging_product is required.');
  if (body.messaging_product !== 'whatsapp') return invalidParameter('Param messaging_product must be "whatsapp".');
  // Checked before unknown fields so that a text or media body gets the telling answer, not "unexpected key text".
  if (endpoint === 'marketing_messages' && body.type !== 'template') return invalidParameter('Message must be a template message.');

  const allowed = ALLOWED_FIELDS[endpoint];
  const unknownField = Object.keys(body).find((key) => !allowed.has(key));
  if (unknownField !== undefined) return invalidParameter(`Unexpected key "${unknownField}" on param "<root>".`);

  const optionalFieldsError = checkOptionalFields(body);
  if (optionalFieldsError) return optionalFieldsError;
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
    return invalidParameter('Param recipient_type must be "individual".');
  }

  const recipient = checkRecipient(body, phone, context.scenario.waIds);
  if (!recipient.ok) return recipient.result;

  // The Cloud API defaults a missing type to text.
  const type = body.type ?? 'text';
  if (type !== 'template') return checkCloudMessage(body, type, recipient.value);

  return checkTemplate(body.template, endpoint, context.templates, recipient.value);
}

function checkOptionalFields(body: Json): ValidationResult | undefined {
  const callbackData = body.biz_opaque_callback_data;
  if (callbackData !== undefined && (typeof callbackData !== 'string' || callbackData.length > MAX_CALLBACK_DATA_LENGTH)) {
    return invalidParameter(`Param biz_opaque_callback_data must be a string of at most ${MAX_CALLBACK_DATA_LENGTH} characters.`);
  }
  if (body.product_policy !== undefined && !PRODUCT_POLICIES.has(body.product_policy as string)) {
    return invalidParameter('Param product_policy must be one of {CLOUD_API_FALLBACK, STRICT}.');
  }
  if (body.message_activity_sharing !== undefined && typeof body.message_activity_sharing !== 'boolean') {
    return invalidParameter('Param message_activity_sharing must be a boolean.');
  }
  return undefined;
}

type RecipientFields = Pick<ValidSend, 'recipientInput' | 'waId' | 'recipientKey' | 'bizOpaqueCallbackData' | 'productPolicy'>;
type RecipientCheck = { ok: true; value: RecipientFields } | { ok: false; result: ValidationResult };

function checkRecipient(body: Json, phone: ScenarioPhoneNumber, waIds: Readonly<Record<string, string>>): RecipientCheck {
  // Meta's send reference: `to` wins when both `to` and `recipient` are sent.
  if (body.to !== undefined) {
    if (typeof body.to !== 'string') return { ok: false, result: invalidParameter('Param to must be a string.') };
    const digits = body.to.replace(/[\s().+-]/g, '');
    if (!/^\d{5,15}$/.test(digits)) return { ok: false, result: fail(131009, `Invalid recipient phone number: "${body.to}".`) };
    if (phone.displayPhoneNumber !== undefined && digits === canonicalRecipient(phone.displayPhoneNumber)) {
      return { ok: false, result: fail(131021, 'Sender and recipient phone number is the same.') };
    }
    return {
      ok: true,
      value: { recipientInput: body.to, waId: waIds[`+${digits}`] ?? digits, recipientKey: digits, ...sendOptions(body) },
    };
  }
  if (body.recipient !== undefined) {
    if (typeof body.recipient !== 'string' || body.recipient.length === 0) {
      return { ok: false, result: invalidParameter('Param recipient must be a non-empty string.') };
    }
    const key = canonicalRecipient(body.recipient);
    return { ok: true, value: { recipientInput: body.recipient, waId: key, recipientKey: key, ...sendOptions(body) } };
  }
  return { ok: false, result: invalidParameter('The parameter to is required.') };
}

/** The optional fields that matter after the answer; checkOptionalFields has validated them. */
function sendOptions(body: Json): Pick<ValidSend, 'bizOpaqueCallbackData' | 'productPolicy'> {
  return {
    bizOpaqueCallbackData: typeof body.biz_opaque_callback_data === 'string' ? body.biz_opaque_callback_data : undefined,
    productPolicy: PRODUCT_POLICIES.has(body.product_policy as string) ? (body.product_policy as ProductPolicy) : undefined,
  };
}

function checkCloudMessage(body: Json, type: unknown, recipient: RecipientFields): ValidationResult {
  if (typeof type !== 'string' || !CLOUD_MESSAGE_TYPES.includes(type)) {
    return fail(131051, `Unsupported message type: ${JSON.stringify(type)}.`);
  }
  const content = body[type];
  if (!isObject(content)) return fail(131008, `Parameter ${type} is required for messages of type ${type}.`);
  if (type === 'text' && (typeof content.body !== 'string' || content.body.length === 0)) {
    return fail(131008, "Parameter text['body'] is required.");
  }
  return { ok: true, send: { ...recipient, type, template: undefined, language: undefined } };
}

function checkTemplate(value: unknown, endpoint: SendEndpoint, templates: TemplateCatalog, recipient: RecipientFields): ValidationResult {
  if (value === undefined) return fail(131008, 'Parameter template is required for messages of type template.');
  if (!isObject(value)) return invalidParameter('Param template must be an object.');
  const unknownField = Object.keys(value).find((key) => !TEMPLATE_FIELDS.has(key));
  if (unknownField !== undefined) return invalidParameter(`Unexpected key "${unknownField}" on param "template".`);

  if (typeof value.name !== 'string' || value.name.length === 0) return fail(131008, "Parameter template['name'] is required.");
  if (!isObject(value.language) || typeof value.language.code !== 'string') {
    return fail(131008, "Parameter template['language']['code'] is required.");
  }
  if (value.language.policy !== undefined && value.language.policy !== 'deterministic') {
    return invalidParameter("Param template['language']['policy'] must be \"deterministic\".");
  }
  const name = value.name;
  const language = value.language.code;

  const template = templates.find(name, language);
  if (!template) return fail(132001, `template name (${name}) does not exist in ${language}`);
  const statusRefusal = refuseByStatus(template);
  if (statusRefusal) return statusRefusal;
  if (endpoint === 'marketing_messages' && template.category !== 'MARKETING') {
    return fail(134100, `Template ${name} has category ${template.category}; the Marketing Messages API only sends MARKETING templates.`);
  }

  const bodyParameters = readBodyParameters(value.components);
  if (!Array.isArray(bodyParameters)) return bodyParameters;
  if (bodyParameters.length !== template.bodyParamCount) {
    return fail(
      132000,
      `body: number of localizable_params (${bodyParameters.length}) does not match the expected number of params (${template.bodyParamCount})`,
    );
  }
  const strayIndex = bodyParameters.findIndex((parameterName) => !template.namedParams.includes(parameterName ?? ''));
  if (template.parameterFormat === 'NAMED' && strayIndex !== -1) {
    const stray = JSON.stringify(bodyParameters[strayIndex] ?? null);
    return fail(132000, `body: parameter_name ${stray} is not one of the template's parameters (${template.namedParams.join(', ')})`);
  }
  return { ok: true, send: { ...recipient, type: 'template', template: { name, category: template.category }, language } };
}

/**
 * Meta's answers for a template that exists in the language but cannot be sent: paused
 * (132015), disabled (132016), anything else not APPROVED (132001, "…or the template has not
 * been approved").
 */
function refuseByStatus(template: TemplateTranslation): ValidationResult | undefined {
  switch (template.status) {
    case 'APPROVED':
      return undefined;
    case 'PAUSED':
      return fail(132015, `Template ${template.name} (${template.language}) is paused.`);
    case 'DISABLED':
      return fail(132016, `Template ${template.name} (${template.language}) is disabled.`);
    default:
      return fail(132001, `template name (${template.name}) does not exist in ${template.language} (status ${template.status})`);
  }
}

/** The body parameters' `parameter_name`s (undefined for positional ones), or the error for malformed components. */
function readBodyParameters(components: unknown): (string | undefined)[] | ValidationResult {
  const names: (string | undefined)[] = [];
  if (components === undefined) return names;
  if (!Array.isArray(components)) return invalidParameter("Param template['components'] must be an array.");
  for (const [index, component] of components.entries()) {
    const where = `template['components'][${index}]`;
    if (!isObject(component) || typeof component.type !== 'string') return invalidParameter(`Param ${where}['type'] is required.`);
    const type = component.type.toLowerCase();
    if (!COMPONENT_TYPES.has(type)) return invalidParameter(`Param ${where}['type'] must be one of {HEADER, BODY, BUTTON, FOOTER}.`);
    if (component.parameters === undefined) continue;
    if (!Array.isArray(component.parameters)) return invalidParameter(`Param ${where}['parameters'] must be an array.`);
    if (type !== 'body') continue;
    for (const parameter of component.parameters) {
      if (!isObject(parameter) || typeof parameter.type !== 'string') {
        return invalidParameter(`Param ${where}['parameters'][${names.length}]['type'] is required.`);
      }
      if (parameter.type === 'text' && (typeof parameter.text !== 'string' || parameter.text.length === 0)) {
        return fail(131008, 'Parameter of type text is missing text value');
      }
      names.push(typeof parameter.parameter_name === 'string' ? parameter.parameter_name : undefined);
    }
  }
  return names;
}
