import type { ScenarioRule } from './scenario.ts';

/** What a rule is matched against. */
export interface RuleSubject {
  phoneNumberId: string;
  /** The recipient in canonical form: digits only for a phone number (so `+49…` and `49…` match alike). */
  recipientKey: string;
  template: string | undefined;
}

/** The rule that decided a send, as kept in the call record. */
export interface MatchedRule {
  /** Position in the scenario's `rules`. */
  index: number;
  rule: ScenarioRule;
}

interface CompiledRule {
  index: number;
  rule: ScenarioRule;
  recipients: ReadonlySet<string> | undefined;
  prefix: string | undefined;
  salt: string;
}

/** Digits of a phone number, or the input unchanged when it has none (e.g. a business-scoped user id). */
export function canonicalRecipient(recipient: string): string {
  const digits = recipient.replace(/\D/g, '');
  return digits.length > 0 && /^[+\d\s().-]+$/.test(recipient) ? digits : recipient;
}

/**
 * Deterministic number in [0, 1) for a recipient: FNV-1a over salt and key, then Murmur3's
 * finaliser, because FNV alone clusters on sequential phone numbers.
 */
export function recipientFraction(salt: string, recipientKey: string): number {
  const text = `${salt}:${recipientKey}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 0x1_0000_0000;
}

function compile(rule: ScenarioRule, index: number): CompiledRule {
  return {
    index,
    rule,
    recipients: rule.recipients ? new Set(rule.recipients.map(canonicalRecipient)) : undefined,
    prefix: rule.recipientPrefix?.replace(/^\+/, ''),
    // Salting by rule keeps two 1% rules from picking the same 1% of recipients.
    salt: rule.salt ?? rule.name ?? `rule-${index}`,
  };
}

function matches(compiled: CompiledRule, subject: RuleSubject): boolean {
  const { rule } = compiled;
  if (rule.phoneNumberId !== undefined && rule.phoneNumberId !== subject.phoneNumberId) return false;
  if (rule.template !== undefined && rule.template !== subject.template) return false;
  if (compiled.recipients && !compiled.recipients.has(subject.recipientKey)) return false;
  if (compiled.prefix !== undefined && !subject.recipientKey.startsWith(compiled.prefix)) return false;
  if (rule.recipientSuffix !== undefined && !subject.recipientKey.endsWith(rule.recipientSuffix)) return false;
  if (rule.fraction !== undefined && recipientFraction(compiled.salt, subject.recipientKey) >= rule.fraction) return false;
  return true;
}

/**
 * Picks the first rule that matches a send. Rules with `times` count their uses per recipient
 * and stop matching once used up, so that later rules (or success) take over: that is how
 * "fails twice, then succeeds" is written.
 */
export class RuleEngine {
  private readonly rules: readonly CompiledRule[];
  private readonly uses = new Map<string, number>();

  constructor(rules: readonly ScenarioRule[]) {
    this.rules = rules.map(compile);
  }

  /** The deciding rule, if any; counts one use of it. */
  decide(subject: RuleSubject): MatchedRule | undefined {
    for (const compiled of this.rules) {
      if (!matches(compiled, subject)) continue;
      const { times } = compiled.rule;
      if (times !== undefined) {
        const key = `${compiled.index}|${subject.recipientKey}`;
        const used = this.uses.get(key) ?? 0;
        if (used >= times) continue;
        this.uses.set(key, used + 1);
      }
      return { index: compiled.index, rule: compiled.rule };
    }
    return undefined;
  }

  /** Forgets how often `times` rules were used. */
  reset(): void {
    this.uses.clear();
  }
}
