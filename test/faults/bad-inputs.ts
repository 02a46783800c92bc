import type { RejectionReason } from '../../lib/domain/validate-job.ts';
import { recipientNumber } from '../helpers/factories.ts';
import { CALLBACK_PREFIX } from '../helpers/fault-accounting.ts';

/**
 * The bad-input corpus: queue message bodies that can never be sent. Every one must end in the
 * send DLQ with a `rejectionReason` attribute (the expected one is given), and none may reach
 * the MM API. Each has a note saying what a producer got wrong.
 *
 * Recipients are distinct numbers from recipientNumber(90_000 + i), so a body that slipped
 * through would show up in the simulator's call log.
 */
export interface BadInput {
  name: string;
  note: string;
  body: string;
  reason: RejectionReason;
}

export const BAD_INPUT_CAMPAIGN = 'bad-inputs';

/**
 * The recipient of the one corpus job that is valid by the contract yet refused by the jobs
 * table: the test injects DynamoDB's item-size refusal into its claim, since the contract keeps
 * every real job far below the 400 KB that would provoke it.
 */
export const UNSTORABLE_RECIPIENT = recipientNumber(90_999);

/** A valid job, as JSON-ready data, for the corpus to break. */
function good(i: number): Record<string, unknown> {
  return {
    schemaVersion: 1,
    campaignId: BAD_INPUT_CAMPAIGN,
    recipient: recipientNumber(90_000 + i),
    phoneNumberId: '100000000000001',
    template: {
      name: 'autumn_sale',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Jasper' }] }],
    },
    callbackData: `${CALLBACK_PREFIX}${BAD_INPUT_CAMPAIGN}`,
  };
}

type Job = Record<string, unknown> & { template: Record<string, unknown> & { components: Array<Record<string, unknown>> } };

const text = (length: number) => ({ type: 'text', text: 'x'.repeat(length) });
const urlButton = (parameter: Record<string, unknown>) => ({ type: 'button', sub_type: 'url', index: '0', parameters: [parameter] });
const nested = (levels: number): unknown => (levels === 0 ? 'end' : { next: nested(levels - 1) });

/** A good job changed by `change` (which may mutate it), serialised. */
function changed(i: number, change: (job: Job) => void): string {
  const job = structuredClone(good(i)) as Job;
  change(job);
  return JSON.stringify(job);
}

/** A good job with one top-level field set to `value`. */
const set = (field: string, value: unknown) => (i: number) => changed(i, (job) => void (job[field] = value));

const entries: Array<Omit<BadInput, 'body'> & { body: (i: number) => string }> = [
  // ---- Not JSON, or not one JSON object --------------------------------------------------
  { name: 'plain-text', reason: 'malformed_json', note: 'not JSON at all', body: () => 'send the autumn sale to everyone please' },
  { name: 'truncated-brace', reason: 'malformed_json', note: 'a lone opening brace', body: () => '{' },
  {
    name: 'truncated-job',
    reason: 'malformed_json',
    note: 'a real job cut off mid-way (a producer that truncates at a byte limit)',
    body: (i) => JSON.stringify(good(i)).slice(0, 70),
  },
  {
    name: 'trailing-comma',
    reason: 'malformed_json',
    note: 'JavaScript-style trailing comma',
    body: (i) => JSON.stringify(good(i)).replace(/}$/, ',}'),
  },
  {
    name: 'single-quotes',
    reason: 'malformed_json',
    note: 'Python repr instead of JSON',
    body: (i) => JSON.stringify(good(i)).replaceAll('"', "'"),
  },
  {
    name: 'byte-order-mark',
    reason: 'malformed_json',
    note: 'UTF-8 BOM before the JSON (Windows tooling)',
    body: (i) => `\uFEFF${JSON.stringify(good(i))}`,
  },
  { name: 'json-null', reason: 'malformed_json', note: 'the JSON value null', body: () => 'null' },
  { name: 'empty-array', reason: 'malformed_json', note: 'an empty array', body: () => '[]' },
  {
    name: 'array-of-jobs',
    reason: 'malformed_json',
    note: 'two jobs in one message (the contract is one job per message)',
    body: (i) => JSON.stringify([good(i), good(i + 1000)]),
  },
  { name: 'number', reason: 'malformed_json', note: 'a bare number', body: () => '42' },
  {
    name: 'string',
    reason: 'malformed_json',
    note: 'a JSON string holding the job (double-encoded)',
    body: (i) => JSON.stringify(JSON.stringify(good(i))),
  },
  { name: 'boolean', reason: 'malformed_json', note: 'a bare boolean', body: () => 'true' },
  {
    name: 'concatenated',
    reason: 'malformed_json',
    note: 'two JSON objects back to back (JSON Lines in one message)',
    body: (i) => `${JSON.stringify(good(i))}\n${JSON.stringify(good(i + 1000))}`,
  },
  { name: 'whitespace', reason: 'malformed_json', note: 'only blanks', body: () => '   \n\t ' },
  { name: 'comment', reason: 'malformed_json', note: 'JSON with a comment', body: (i) => `// autumn sale\n${JSON.stringify(good(i))}` },
  { name: 'nan-literal', reason: 'malformed_json', note: 'NaN is not JSON', body: () => '{"schemaVersion":NaN}' },
  {
    name: 'csv-line',
    reason: 'malformed_json',
    note: 'a CSV line instead of JSON',
    body: (i) => `${BAD_INPUT_CAMPAIGN};autumn_sale;en_US;Jasper;${i}`,
  },
  {
    name: 'bare-phone-number',
    reason: 'malformed_json',
    note: 'just a phone number (one recipient per message, no JSON)',
    body: (i) => recipientNumber(90_000 + i),
  },
  {
    name: 'phone-csv',
    reason: 'malformed_json',
    note: 'recipient,campaign,name as CSV',
    body: (i) => `${recipientNumber(90_000 + i)},${BAD_INPUT_CAMPAIGN},Jasper`,
  },
  {
    name: 'deep-nesting',
    reason: 'malformed_json',
    note: '20,000 nested arrays (a parser stack bomb)',
    body: () => `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
  },

  // ---- Schema version ---------------------------------------------------------------------
  { name: 'version-2', reason: 'unsupported_schema_version', note: 'a future contract version', body: set('schemaVersion', 2) },
  { name: 'version-0', reason: 'unsupported_schema_version', note: 'version 0 never existed', body: set('schemaVersion', 0) },
  { name: 'version-string', reason: 'unsupported_schema_version', note: '"1" as a string', body: set('schemaVersion', '1') },
  {
    name: 'version-missing',
    reason: 'unsupported_schema_version',
    note: 'no schemaVersion',
    body: (i) => changed(i, (j) => void delete j.schemaVersion),
  },
  { name: 'version-null', reason: 'unsupported_schema_version', note: 'schemaVersion null', body: set('schemaVersion', null) },
  { name: 'version-fraction', reason: 'unsupported_schema_version', note: 'schemaVersion 1.5', body: set('schemaVersion', 1.5) },
  { name: 'empty-object', reason: 'unsupported_schema_version', note: 'an empty object', body: () => '{}' },
  {
    name: 'duplicate-version-key',
    reason: 'unsupported_schema_version',
    note: 'schemaVersion twice; JSON.parse keeps the last (2)',
    body: (i) => JSON.stringify(good(i)).replace(/}$/, ',"schemaVersion":2}'),
  },

  // ---- Wrong types, missing and unknown fields --------------------------------------------
  { name: 'campaign-missing', reason: 'schema_violation', note: 'no campaignId', body: (i) => changed(i, (j) => void delete j.campaignId) },
  { name: 'campaign-number', reason: 'schema_violation', note: 'campaignId as a number', body: set('campaignId', 2026) },
  {
    name: 'campaign-characters',
    reason: 'schema_violation',
    note: 'campaignId with a space and a slash',
    body: set('campaignId', 'autumn 2026/a'),
  },
  {
    name: 'campaign-too-long',
    reason: 'schema_violation',
    note: 'campaignId of 129 characters',
    body: set('campaignId', `c${'x'.repeat(128)}`),
  },
  { name: 'recipient-missing', reason: 'schema_violation', note: 'no recipient', body: (i) => changed(i, (j) => void delete j.recipient) },
  {
    name: 'recipient-number',
    reason: 'schema_violation',
    note: 'recipient as a JSON number (loses the +, may lose digits)',
    body: (i) => changed(i, (j) => void (j.recipient = Number(String(j.recipient).slice(1)))),
  },
  { name: 'recipient-empty', reason: 'schema_violation', note: 'recipient ""', body: set('recipient', '') },
  {
    name: 'recipient-huge',
    reason: 'schema_violation',
    note: 'recipient of 10,000 characters',
    body: set('recipient', `+49${'1'.repeat(10_000)}`),
  },
  {
    name: 'phone-number-id-missing',
    reason: 'schema_violation',
    note: 'no phoneNumberId',
    body: (i) => changed(i, (j) => void delete j.phoneNumberId),
  },
  { name: 'phone-number-id-text', reason: 'schema_violation', note: 'phoneNumberId not digits', body: set('phoneNumberId', 'main-number') },
  {
    name: 'phone-number-id-number',
    reason: 'schema_violation',
    note: 'phoneNumberId as a JSON number (precision lost above 2^53)',
    body: set('phoneNumberId', 100000000000001),
  },
  {
    name: 'template-missing',
    reason: 'schema_violation',
    note: 'no template',
    body: (i) => changed(i, (j) => void delete (j as Record<string, unknown>).template),
  },
  {
    name: 'template-string',
    reason: 'schema_violation',
    note: 'template given as its name only',
    body: (i) => changed(i, (j) => void ((j as Record<string, unknown>).template = 'autumn_sale')),
  },
  {
    name: 'template-name-case',
    reason: 'schema_violation',
    note: 'template names are lowercase',
    body: (i) => changed(i, (j) => void (j.template.name = 'Autumn_Sale')),
  },
  {
    name: 'template-name-huge',
    reason: 'schema_violation',
    note: 'template name of 513 characters',
    body: (i) => changed(i, (j) => void (j.template.name = 'a'.repeat(513))),
  },
  {
    name: 'language-missing',
    reason: 'schema_violation',
    note: 'no template.language',
    body: (i) => changed(i, (j) => void delete j.template.language),
  },
  {
    name: 'language-word',
    reason: 'schema_violation',
    note: 'language "english" instead of a code',
    body: (i) => changed(i, (j) => void (j.template.language = { code: 'english' })),
  },
  {
    name: 'language-policy',
    reason: 'schema_violation',
    note: 'the deprecated language.policy field',
    body: (i) => changed(i, (j) => void (j.template.language = { code: 'en_US', policy: 'deterministic' })),
  },
  {
    name: 'template-unknown-field',
    reason: 'schema_violation',
    note: 'template.namespace (an old Cloud API field)',
    body: (i) => changed(i, (j) => void (j.template.namespace = 'abc_123')),
  },
  {
    name: 'components-object',
    reason: 'schema_violation',
    note: 'components as an object, not an array',
    body: (i) => changed(i, (j) => void ((j.template as Record<string, unknown>).components = { body: ['Jasper'] })),
  },
  {
    name: 'component-footer',
    reason: 'schema_violation',
    note: 'a footer component (footers take no parameters)',
    body: (i) => changed(i, (j) => void j.template.components.push({ type: 'footer', parameters: [] })),
  },
  {
    name: 'text-empty',
    reason: 'schema_violation',
    note: 'an empty body text parameter',
    body: (i) => changed(i, (j) => void (j.template.components = [{ type: 'body', parameters: [{ type: 'text', text: '' }] }])),
  },
  {
    name: 'text-huge',
    reason: 'schema_violation',
    note: 'a text parameter of 40,000 characters',
    body: (i) =>
      changed(i, (j) => void (j.template.components = [{ type: 'body', parameters: [{ type: 'text', text: 'x'.repeat(40_000) }] }])),
  },
  {
    name: 'parameter-unknown-field',
    reason: 'schema_violation',
    note: 'a text parameter with an extra field',
    body: (i) =>
      changed(i, (j) => void (j.template.components = [{ type: 'body', parameters: [{ type: 'text', text: 'Jasper', bold: true }] }])),
  },
  {
    name: 'parameter-type',
    reason: 'schema_violation',
    note: 'a parameter type templates do not have (location)',
    body: (i) =>
      changed(
        i,
        (j) =>
          void (j.template.components = [
            { type: 'body', parameters: [{ type: 'location', location: { latitude: 52.5, longitude: 13.4 } }] },
          ]),
      ),
  },
  {
    name: 'button-no-sub-type',
    reason: 'schema_violation',
    note: 'a button component without sub_type',
    body: (i) =>
      changed(i, (j) => void j.template.components.push({ type: 'button', index: 0, parameters: [{ type: 'text', text: 'x' }] })),
  },
  {
    name: 'button-index',
    reason: 'schema_violation',
    note: 'button index 10 (0–9 allowed)',
    body: (i) =>
      changed(
        i,
        (j) => void j.template.components.push({ type: 'button', sub_type: 'url', index: 10, parameters: [{ type: 'text', text: 'x' }] }),
      ),
  },
  {
    name: 'header-two-parameters',
    reason: 'schema_violation',
    note: 'a header with two parameters',
    body: (i) =>
      changed(
        i,
        (j) =>
          void j.template.components.unshift({
            type: 'header',
            parameters: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
          }),
      ),
  },
  {
    name: 'currency-code',
    reason: 'schema_violation',
    note: 'a lowercase currency code',
    body: (i) =>
      changed(
        i,
        (j) =>
          void (j.template.components = [
            { type: 'body', parameters: [{ type: 'currency', currency: { fallback_value: '€10', code: 'eur', amount_1000: 10_000 } }] },
          ]),
      ),
  },
  {
    name: 'image-http',
    reason: 'schema_violation',
    note: 'a header image over plain http',
    body: (i) =>
      changed(
        i,
        (j) =>
          void j.template.components.unshift({
            type: 'header',
            parameters: [{ type: 'image', image: { link: 'http://example.com/a.png' } }],
          }),
      ),
  },
  {
    name: 'too-many-components',
    reason: 'schema_violation',
    note: '21 components',
    body: (i) => changed(i, (j) => void (j.template.components = Array.from({ length: 21 }, () => ({ type: 'body', parameters: [] })))),
  },
  {
    name: 'validity-too-short',
    reason: 'schema_violation',
    note: 'validitySeconds 100 (Meta: at least 12 h for marketing)',
    body: set('validitySeconds', 100),
  },
  {
    name: 'validity-too-long',
    reason: 'schema_violation',
    note: 'validitySeconds 2,592,001 (Meta: at most 30 days)',
    body: set('validitySeconds', 2_592_001),
  },
  { name: 'validity-fraction', reason: 'schema_violation', note: 'validitySeconds 86400.5', body: set('validitySeconds', 86_400.5) },
  {
    name: 'validity-string',
    reason: 'schema_violation',
    note: 'validitySeconds "86400" as a string',
    body: set('validitySeconds', '86400'),
  },
  { name: 'validity-negative', reason: 'schema_violation', note: 'validitySeconds -1', body: set('validitySeconds', -1) },
  { name: 'created-at-words', reason: 'schema_violation', note: 'createdAt "yesterday"', body: set('createdAt', 'yesterday') },
  {
    name: 'created-at-no-offset',
    reason: 'schema_violation',
    note: 'createdAt without a time zone',
    body: set('createdAt', '2026-11-26T09:00:00'),
  },
  {
    name: 'created-at-impossible',
    reason: 'schema_violation',
    note: 'createdAt 30 February',
    body: set('createdAt', '2026-02-30T10:00:00Z'),
  },
  { name: 'not-before-epoch', reason: 'schema_violation', note: 'notBefore as epoch seconds', body: set('notBefore', 1_795_000_000) },
  {
    name: 'callback-data-huge',
    reason: 'schema_violation',
    note: 'callbackData of 513 characters (Meta: 512)',
    body: set('callbackData', 'x'.repeat(513)),
  },
  { name: 'callback-data-empty', reason: 'schema_violation', note: 'callbackData ""', body: set('callbackData', '') },
  { name: 'unknown-field', reason: 'schema_violation', note: 'an unknown top-level field (priority)', body: set('priority', 'high') },
  {
    name: 'meta-field-to',
    reason: 'schema_violation',
    note: "Meta's `to` instead of recipient",
    body: (i) =>
      changed(i, (j) => {
        j.to = j.recipient;
        delete j.recipient;
      }),
  },
  {
    name: 'proto-key',
    reason: 'schema_violation',
    note: 'a __proto__ key (prototype pollution attempt)',
    body: (i) => JSON.stringify(good(i)).replace(/^{/, '{"__proto__":{"schemaVersion":1},'),
  },
  { name: 'attempt-zero', reason: 'schema_violation', note: 'attempt 0 (the sender sets attempt, from 1)', body: set('attempt', 0) },
  { name: 'dispatch-id-short', reason: 'schema_violation', note: 'a dispatchId that is not one of ours', body: set('dispatchId', 'abc') },
  {
    name: 'activity-sharing-text',
    reason: 'schema_violation',
    note: 'messageActivitySharing "yes"',
    body: set('messageActivitySharing', 'yes'),
  },

  // ---- Larger than Meta or the job's DynamoDB item takes --------------------------------------
  {
    name: 'job-250kb',
    reason: 'schema_violation',
    note: 'about 250 KB: 100 body parameters of 2,500 characters (once sent, and refused by Meta with 132000)',
    body: (i) =>
      changed(i, (j) => void (j.template.components = [{ type: 'body', parameters: Array.from({ length: 100 }, () => text(2_500)) }])),
  },
  {
    name: 'job-600kb',
    reason: 'schema_violation',
    note: 'about 600 KB of carousel cards: SQS takes it, the claim write did not (received five times, then the DLQ without a reason)',
    body: (i) =>
      changed(i, (j) => void j.template.components.push({ type: 'carousel', cards: [{ card_index: 0, filler: 'x'.repeat(600_000) }] })),
  },
  {
    name: 'header-text-61',
    reason: 'schema_violation',
    note: 'a header text parameter of 61 characters (Meta: 60)',
    body: (i) => changed(i, (j) => void j.template.components.unshift({ type: 'header', parameters: [text(61)] })),
  },
  {
    name: 'body-text-1025-with-button',
    reason: 'schema_violation',
    note: 'a body text of 1,025 characters in a template with a button (Meta: 1,024 with other components)',
    body: (i) => changed(i, (j) => void (j.template.components = [{ type: 'body', parameters: [text(1_025)] }, urlButton(text(5))])),
  },
  {
    name: 'body-texts-over-32768',
    reason: 'schema_violation',
    note: 'two body texts of 16,385 characters, 32,770 in all (Meta: 32,768 in a body alone)',
    body: (i) => changed(i, (j) => void (j.template.components = [{ type: 'body', parameters: [text(16_385), text(16_385)] }])),
  },
  {
    name: 'button-text-2001',
    reason: 'schema_violation',
    note: 'a URL button parameter of 2,001 characters (Meta: URLs of 2,000)',
    body: (i) => changed(i, (j) => void j.template.components.push(urlButton(text(2_001)))),
  },
  {
    name: 'nested-40-levels',
    reason: 'schema_violation',
    note: 'an action parameter nested 40 levels deep (DynamoDB stores 32)',
    body: (i) => changed(i, (j) => void j.template.components.push(urlButton({ type: 'action', action: nested(40) }))),
  },
  {
    name: 'number-beyond-2-53',
    reason: 'schema_violation',
    note: 'a product id as a 20-digit JSON number in an action (JavaScript and DynamoDB cannot keep it)',
    body: (i) =>
      changed(
        i,
        (j) => void j.template.components.push(urlButton({ type: 'action', action: { thumbnail_product_retailer_id: 1 } })),
      ).replace('"thumbnail_product_retailer_id":1', '"thumbnail_product_retailer_id":12345678901234567890'),
  },
  {
    name: 'jsonl-array-line',
    reason: 'malformed_json',
    note: "a JSON Lines file's first line, an array holding one job, sent as it is",
    body: (i) => JSON.stringify([good(i)]),
  },
  {
    name: 'phone-number-as-key',
    reason: 'schema_violation',
    note: 'a field named after the recipient (the detail must mask it)',
    body: (i) => changed(i, (j) => void (j[String(j.recipient)] = 'Jasper')),
  },
  {
    name: 'unstorable-item',
    reason: 'unstorable_job',
    note: "valid, but the jobs table refuses its claim (DynamoDB's item-size error, injected)",
    body: (i) => changed(i, (j) => void (j.recipient = UNSTORABLE_RECIPIENT)),
  },

  // ---- Numbers that are not, or may not be, WhatsApp users --------------------------------
  { name: 'fictional-us', reason: 'invalid_recipient', note: '+1 555 123 4567, a fictional range', body: set('recipient', '+15551234567') },
  { name: 'too-short', reason: 'invalid_recipient', note: '+49151, a prefix', body: set('recipient', '+49151') },
  { name: 'letters', reason: 'invalid_recipient', note: 'a vanity number with letters', body: set('recipient', '+49 151 CALL ME') },
  {
    name: 'national-format',
    reason: 'invalid_recipient',
    note: 'German national format without the country code',
    body: set('recipient', '015112345678'),
  },
  {
    name: 'fullwidth-digits',
    reason: 'invalid_recipient',
    note: 'full-width Unicode digits',
    body: set('recipient', '+４９１５１１２３４５６７８'),
  },
  {
    name: 'unassigned-country-code',
    reason: 'invalid_recipient',
    note: '+999, no such country code',
    body: set('recipient', '+999123456789'),
  },
  {
    name: 'too-long',
    reason: 'invalid_recipient',
    note: '17 digits, longer than E.164 allows',
    body: set('recipient', '+49151123456789012'),
  },
  {
    name: 'restricted-cuba',
    reason: 'restricted_recipient',
    note: 'a Cuban mobile number (WhatsApp may not message CU)',
    body: set('recipient', '+5351234567'),
  },
  { name: 'restricted-iran', reason: 'restricted_recipient', note: 'an Iranian mobile number', body: set('recipient', '+989123456789') },
  { name: 'restricted-north-korea', reason: 'restricted_recipient', note: 'a North Korean number', body: set('recipient', '+85021234567') },
  { name: 'restricted-syria', reason: 'restricted_recipient', note: 'a Syrian mobile number', body: set('recipient', '+963944567890') },
];

export const BAD_INPUTS: readonly BadInput[] = entries.map((entry, i) => ({
  name: entry.name,
  note: entry.note,
  reason: entry.reason,
  body: entry.body(i),
}));
