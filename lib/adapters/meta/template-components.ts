import type { ParameterFormat, TemplateInfo } from '../../ports/whatsapp-account.ts';

/**
 * A template as the Graph API returns it, read into `TemplateInfo`: which parameters its BODY,
 * HEADER and BUTTONS components take. Graph sends component and button types in capitals
 * (`BODY`, `URL`, `QUICK_REPLY`, `COPY_CODE`); the sender's campaigns name buttons in lower case.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/components
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-account/template-api
 */

type GraphObject = Record<string, unknown>;

/** `{{1}}` or `{{first_name}}`, as Meta writes parameters in component texts. */
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

function placeholders(text: unknown): string[] {
  return typeof text === 'string' ? [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1]!))] : [];
}

const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const asObjects = (value: unknown): GraphObject[] =>
  Array.isArray(value) ? value.filter((item): item is GraphObject => typeof item === 'object' && item !== null) : [];

function componentOf(template: GraphObject, type: string): GraphObject | undefined {
  return asObjects(template.components).find((component) => asString(component.type)?.toUpperCase() === type);
}

/** Body parameters from the text's placeholders, or from Meta's `example` when the text is absent. */
function bodyParameters(body: GraphObject | undefined, format: ParameterFormat): TemplateInfo['bodyParameters'] {
  if (!body) return { count: 0, names: [] };
  const example = (body.example ?? {}) as { body_text?: unknown[][]; body_text_named_params?: Array<{ param_name?: unknown }> };
  const inText = placeholders(body.text);
  if (format === 'NAMED') {
    const fromExample = (example.body_text_named_params ?? [])
      .map((param) => asString(param.param_name))
      .filter((name) => name !== undefined);
    const names = inText.length > 0 ? inText : fromExample;
    return { count: names.length, names };
  }
  const count = Math.max(inText.length, Array.isArray(example.body_text?.[0]) ? example.body_text[0].length : 0);
  return { count, names: [] };
}

function takesHeaderText(header: GraphObject | undefined): boolean {
  if (!header || asString(header.format)?.toUpperCase() !== 'TEXT') return false;
  const example = (header.example ?? {}) as { header_text?: unknown[]; header_text_named_params?: unknown[] };
  return (
    placeholders(header.text).length > 0 || (example.header_text?.length ?? 0) > 0 || (example.header_text_named_params?.length ?? 0) > 0
  );
}

/** A URL button with a placeholder in its URL takes its suffix; a copy-code button its code; a quick reply its payload. */
function buttonsOf(component: GraphObject | undefined): TemplateInfo['buttons'] {
  return asObjects(component?.buttons).map((button, index) => {
    const type = (asString(button.type) ?? 'unknown').toLowerCase();
    const takesParameter = type === 'url' ? placeholders(button.url).length > 0 : type === 'copy_code' || type === 'quick_reply';
    return { index, type, takesParameter };
  });
}

/** A positive whole number of seconds, or undefined (Meta's default TTL then applies). */
function ttlOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** One entry of `GET /{waba-id}/message_templates` (or `GET /{template-id}`) as `TemplateInfo`. */
export function templateInfoFrom(template: GraphObject): TemplateInfo {
  const parameterFormat: ParameterFormat = template.parameter_format === 'NAMED' ? 'NAMED' : 'POSITIONAL';
  const quality = asString((template.quality_score as { score?: unknown } | undefined)?.score);
  const ttlSeconds = ttlOf(template.message_send_ttl_seconds);
  return {
    id: String(template.id),
    name: String(template.name),
    language: String(template.language),
    status: asString(template.status) ?? 'UNKNOWN',
    category: asString(template.category) ?? 'UNKNOWN',
    ...(quality !== undefined ? { qualityScore: quality } : {}),
    parameterFormat,
    bodyParameters: bodyParameters(componentOf(template, 'BODY'), parameterFormat),
    headerTextParameter: takesHeaderText(componentOf(template, 'HEADER')),
    buttons: buttonsOf(componentOf(template, 'BUTTONS')),
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
  };
}
