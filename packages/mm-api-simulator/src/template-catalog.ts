import { createHash } from 'node:crypto';
import {
  DEFAULT_WABA_ID,
  type QualityScore,
  type Scenario,
  type ScenarioTemplate,
  type ScenarioTemplateButton,
  type TemplateStatus,
} from './scenario.ts';
import { checkTtlEdit, DEFAULT_TTL_SECONDS, type TtlEditRefusal } from './template-edits.ts';

/**
 * The scenario's templates as Meta holds them: one object per translation (name + language),
 * each with its own id, status, quality score and TTL, which Graph calls and the control API
 * change at runtime. A new scenario or `reset()` builds a new catalog from the scenario.
 *
 * @see https://developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-management
 */

/** Template category, as in the scenario. */
export type TemplateCategory = ScenarioTemplate['category'];
/** `parameter_format` of a template. */
export type ParameterFormat = 'POSITIONAL' | 'NAMED';

/** One translation of a template, with its runtime state. */
export interface TemplateTranslation {
  readonly id: string;
  readonly name: string;
  readonly language: string;
  readonly wabaId: string;
  readonly parameterFormat: ParameterFormat;
  /** Names of the body's `{{name}}` parameters (NAMED only; empty otherwise). */
  readonly namedParams: readonly string[];
  /** Body parameters a send must carry. */
  readonly bodyParamCount: number;
  readonly bodyText: string;
  /** The TEXT header's text; undefined when the template has no header. */
  readonly headerText: string | undefined;
  /** The buttons, in order; empty when the template has none. */
  readonly buttons: readonly ScenarioTemplateButton[];
  category: TemplateCategory;
  status: TemplateStatus;
  qualityScore: QualityScore;
  /** Epoch ms of the last quality change; undefined while it is the scenario's. */
  qualityChangedAt: number | undefined;
  ttlSeconds: number;
  /** Epoch ms of the edits that count toward Meta's limit (those made while APPROVED). */
  approvedEdits: number[];
}

/** A 15-digit id derived from name and language, so that it is stable across runs. */
export function derivedTemplateId(name: string, language: string): string {
  const hash = BigInt(`0x${createHash('sha256').update(`${name}|${language}`).digest('hex').slice(0, 15)}`);
  return String(100_000_000_000_000n + (hash % 900_000_000_000_000n));
}

function defaultBodyText(parameters: readonly string[]): string {
  return parameters.length === 0 ? 'Hello from the simulator.' : `Hello ${parameters.map((name) => `{{${name}}}`).join(', ')}.`;
}

function translationsOf(entry: ScenarioTemplate, wabaId: string): TemplateTranslation[] {
  const named = entry.namedParams ?? [];
  const parameterFormat: ParameterFormat = entry.parameterFormat ?? 'POSITIONAL';
  const bodyParamCount = parameterFormat === 'NAMED' ? named.length : entry.bodyParams;
  const placeholders = parameterFormat === 'NAMED' ? named : Array.from({ length: bodyParamCount }, (_, index) => String(index + 1));
  return entry.languages.map((language) => ({
    id: entry.id ?? derivedTemplateId(entry.name, language),
    name: entry.name,
    language,
    wabaId: entry.wabaId ?? wabaId,
    parameterFormat,
    namedParams: named,
    bodyParamCount,
    bodyText: entry.bodyText ?? defaultBodyText(placeholders),
    headerText: entry.headerText,
    buttons: entry.buttons ?? [],
    category: entry.category,
    status: entry.status ?? 'APPROVED',
    qualityScore: entry.qualityScore ?? 'UNKNOWN',
    qualityChangedAt: undefined,
    ttlSeconds: entry.ttlSeconds ?? DEFAULT_TTL_SECONDS[entry.category],
    approvedEdits: [],
  }));
}

/** A TTL edit's outcome: done, or refused with the reason. */
export type TtlEditResult = { ok: true } | { ok: false; refusal: TtlEditRefusal };

/** Every template translation of a scenario, by id and by name + language. */
export class TemplateCatalog {
  private readonly byIdMap = new Map<string, TemplateTranslation>();
  private readonly defaultWabaId: string;
  private readonly now: () => number;

  constructor(scenario: Scenario, now: () => number) {
    this.now = now;
    this.defaultWabaId = scenario.webhooks?.wabaId ?? DEFAULT_WABA_ID;
    // No clock reading here: tests count them to know every send's exact arrival time.
    for (const entry of scenario.templates) {
      for (const translation of translationsOf(entry, this.defaultWabaId)) this.byIdMap.set(translation.id, translation);
    }
  }

  byId(id: string): TemplateTranslation | undefined {
    return this.byIdMap.get(id);
  }

  find(name: string, language: string): TemplateTranslation | undefined {
    return this.all().find((translation) => translation.name === name && translation.language === language);
  }

  all(): TemplateTranslation[] {
    return [...this.byIdMap.values()];
  }

  /** The translations a WABA owns, in scenario order. */
  inWaba(wabaId: string): TemplateTranslation[] {
    return this.all().filter((translation) => translation.wabaId === wabaId);
  }

  /** True for the WABA of any template and for the scenario's own (which may own none). */
  isKnownWaba(wabaId: string): boolean {
    return wabaId === this.defaultWabaId || this.all().some((translation) => translation.wabaId === wabaId);
  }

  /** Sets `message_send_ttl_seconds` if Meta's range and edit limits allow it (on the simulator's clock). */
  editTtl(translation: TemplateTranslation, ttlSeconds: unknown): TtlEditResult {
    const at = this.now();
    const refusal = checkTtlEdit({ translation, ttlSeconds, at });
    if (refusal) return { ok: false, refusal };
    if (translation.status === 'APPROVED') translation.approvedEdits.push(at);
    translation.ttlSeconds = ttlSeconds as number;
    return { ok: true };
  }

  /** Sets the quality score and returns the previous one. */
  setQuality(translation: TemplateTranslation, score: QualityScore): QualityScore {
    const previous = translation.qualityScore;
    translation.qualityScore = score;
    translation.qualityChangedAt = this.now();
    return previous;
  }
}
