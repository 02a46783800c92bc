import { describe, expect, it } from 'vitest';
import {
  BODY_ONLY_TEXT_MAX_CHARS,
  BODY_TEXT_MAX_CHARS,
  BUTTON_TEXT_MAX_CHARS,
  HEADER_TEXT_MAX_CHARS,
  MAX_TEMPLATE_BYTES,
  MAX_TEMPLATE_DEPTH,
} from '../../../lib/domain/job-contract.ts';
import { SANCTIONED_COUNTRIES } from '../../../lib/domain/phone.ts';
import { validateJobBody } from '../../../lib/domain/validate-job.ts';
import { prepareJobBodies, prepareJobs } from '../../../lib/producer.ts';
import { jobsOfFile } from '../../../tools/enqueue/jobs-file.ts';
import { aJob } from '../../helpers/factories.ts';

const policy = { blockedCountries: [...SANCTIONED_COUNTRIES], blockedPrefixes: [] };
const validate = (job: unknown) => validateJobBody(JSON.stringify(job), policy);
const text = (length: number) => ({ type: 'text', text: 'x'.repeat(length) });
const withComponents = (...components: unknown[]) =>
  aJob({ template: { name: 'autumn_sale', language: { code: 'en_US' }, components } as never });
const body = (...parameters: unknown[]) => ({ type: 'body', parameters });
const header = (...parameters: unknown[]) => ({ type: 'header', parameters });
const urlButton = (...parameters: unknown[]) => ({ type: 'button', sub_type: 'url', index: '0', parameters });

/** The detail when refused, or 'ok'. */
function verdict(job: unknown): string {
  const result = validate(job);
  return result.ok ? 'ok' : `${result.rejection.reason}: ${result.rejection.detail}`;
}

describe("Meta's text parameter limits", () => {
  it('takes a header text of 60 characters and refuses 61', () => {
    expect(verdict(withComponents(header(text(HEADER_TEXT_MAX_CHARS)), body(text(5))))).toBe('ok');
    expect(verdict(withComponents(header(text(HEADER_TEXT_MAX_CHARS + 1)), body(text(5))))).toMatch(
      /^schema_violation: template\.components\.0\.parameters\.0\.text: .*60/,
    );
  });

  it('takes 32,768 characters in a body that is the only component, 1,024 in a body with others, summed over its parameters', () => {
    expect(verdict(withComponents(body(text(BODY_ONLY_TEXT_MAX_CHARS))))).toBe('ok');
    expect(verdict(withComponents(body(text(BODY_ONLY_TEXT_MAX_CHARS + 1))))).toMatch(/^schema_violation: .*32768/);
    expect(verdict(withComponents(body(text(20_000), text(20_000))))).toMatch(
      /template\.components\.0: the body's text parameters hold 40000 characters; Meta takes at most 32768 in a body as the only component/,
    );
    expect(verdict(withComponents(header(text(10)), body(text(BODY_TEXT_MAX_CHARS))))).toBe('ok');
    expect(verdict(withComponents(header(text(10)), body(text(600), text(425))))).toMatch(
      /template\.components\.1: the body's text parameters hold 1025 characters; Meta takes at most 1024 in a body with other components/,
    );
  });

  it('takes a URL button parameter of 2,000 characters and refuses 2,001', () => {
    expect(verdict(withComponents(body(text(5)), urlButton(text(BUTTON_TEXT_MAX_CHARS))))).toBe('ok');
    expect(verdict(withComponents(body(text(5)), urlButton(text(BUTTON_TEXT_MAX_CHARS + 1))))).toMatch(
      /template\.components\.1\.parameters\.0\.text: .*2000/,
    );
  });
});

describe("what the job's DynamoDB item can hold", () => {
  const cards = (bytes: number) => ({ type: 'carousel', cards: [{ card_index: 0, filler: 'x'.repeat(bytes) }] });

  it('refuses a template over 128 KiB of JSON, with its size, and takes one at the limit', () => {
    const job = withComponents(body(text(5)), cards(0));
    const overhead = Buffer.byteLength(JSON.stringify(job.template));
    expect(verdict(withComponents(body(text(5)), cards(MAX_TEMPLATE_BYTES - overhead)))).toBe('ok');
    expect(verdict(withComponents(body(text(5)), cards(MAX_TEMPLATE_BYTES - overhead + 1)))).toBe(
      `schema_violation: template: ${MAX_TEMPLATE_BYTES + 1} bytes as JSON; at most ${MAX_TEMPLATE_BYTES} (the job's DynamoDB item holds 400 KB)`,
    );
  });

  it('counts bytes, not characters: 50,000 three-byte characters are refused', () => {
    expect(verdict(withComponents(body(text(5)), { type: 'carousel', cards: [{ filler: '€'.repeat(50_000) }] }))).toMatch(/150\d{3} bytes/);
  });

  it('refuses a template nested deeper than 16 levels, and a nesting bomb without overflowing the stack', () => {
    const nested = (levels: number): unknown => (levels === 0 ? 'leaf' : { a: nested(levels - 1) });
    // template → components → component → cards: 4 levels above the card.
    expect(verdict(withComponents(body(text(5)), { type: 'carousel', cards: [nested(MAX_TEMPLATE_DEPTH - 4)] }))).toBe('ok');
    expect(verdict(withComponents(body(text(5)), { type: 'carousel', cards: [nested(MAX_TEMPLATE_DEPTH - 3)] }))).toMatch(
      /^schema_violation: template: nested deeper than 16 levels/,
    );
    const bomb = `{"type":"carousel","cards":[${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}]}`;
    const raw = JSON.stringify(withComponents(body(text(5)))).replace('"components":[', `"components":[${bomb},`);
    const result = validateJobBody(raw, policy);
    expect(result.ok ? 'ok' : result.rejection.detail).toMatch(/nested deeper than 16 levels/);
  });
});

describe('numbers', () => {
  it('refuses a number beyond ±2^53 anywhere in the template, naming where', () => {
    const action = (id: number) => withComponents(body(text(5)), urlButton({ type: 'action', action: { sections: [{ id }] } }));
    expect(verdict(action(Number.MAX_SAFE_INTEGER))).toBe('ok');
    expect(verdict(action(2 ** 60))).toMatch(
      /^schema_violation: template\.components\.1\.parameters\.0\.action\.sections\.0\.id: a number beyond ±2\^53/,
    );
  });
});

describe('the producer, the CLI and the sender refuse the same jobs for the same reasons', () => {
  const jobs = [
    aJob(),
    withComponents(header(text(61)), body(text(5))),
    withComponents(body(...Array.from({ length: 100 }, () => text(2_500)))),
    withComponents(body(text(5)), { type: 'carousel', cards: [{ filler: 'x'.repeat(600_000) }] }),
    aJob({ recipient: '+5351234567' }),
  ];
  const sender = jobs.map((job) => {
    const result = validate(job);
    return result.ok ? 'ok' : result.rejection;
  });

  it('as objects (prepareJobs) and as message bodies (prepareJobBodies)', () => {
    for (const prepared of [
      prepareJobs(jobs, policy),
      prepareJobBodies(
        jobs.map((job) => JSON.stringify(job)),
        policy,
      ),
    ]) {
      const verdicts = jobs.map((_, i) => prepared.rejected.find((r) => r.index === i)?.rejection ?? 'ok');
      expect(verdicts).toEqual(sender);
    }
    expect(sender.map((s) => (typeof s === 'string' ? s : s.reason))).toEqual([
      'ok',
      'schema_violation',
      'schema_violation',
      'schema_violation',
      'restricted_recipient',
    ]);
  });

  it('a valid job stays valid once the producer has stamped it', () => {
    const prepared = prepareJobs([withComponents(body(text(BODY_ONLY_TEXT_MAX_CHARS)))], policy);
    expect(validateJobBody(prepared.valid[0]!.body, policy).ok).toBe(true);
  });
});

describe('reading a jobs file (the enqueue CLI)', () => {
  it('reads one JSON array as jobs, anything else as JSON Lines, never throwing', () => {
    const job = JSON.stringify(aJob());
    expect(jobsOfFile(`[${job},${job}]`).map((j) => j.label)).toEqual(['#1', '#2']);
    expect(jobsOfFile(`[${job}]\n${job}\n\n{"broken":\n`)).toEqual([
      { label: 'line 1', body: `[${job}]` },
      { label: 'line 2', body: job },
      { label: 'line 4', body: '{"broken":' },
    ]);
    expect(jobsOfFile('[1, 2')).toEqual([{ label: 'line 1', body: '[1, 2' }]);
    expect(jobsOfFile('')).toEqual([]);
  });

  it('an array line is refused as the sender refuses a message holding an array', () => {
    const [line] = jobsOfFile(`[${JSON.stringify(aJob())}]\n${JSON.stringify(aJob())}`);
    const refused = prepareJobBodies([line!.body], policy).rejected[0]?.rejection;
    expect(refused).toEqual({ reason: 'malformed_json', detail: 'a job must be a JSON object (one job per message)' });
  });
});

describe('rejection details', () => {
  it('never quote a phone number, even one used as an unknown key', () => {
    const result = validate({ ...aJob(), '+4915112345678': 'x' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.rejection.detail).not.toMatch(/4915112345678/);
    expect(!result.ok && result.rejection.detail).toMatch(/\+49\*+78/);
  });
});
