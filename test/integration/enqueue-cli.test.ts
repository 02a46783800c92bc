import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { loadRecipientPolicy } from '../../lib/config.ts';
import { validateJobBody } from '../../lib/domain/validate-job.ts';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';
import { runTool } from '../helpers/run-tool.ts';

const { endpoints, clients } = useLocalStack();
const resources = await createTestResources();
const queueUrl = resources.queue('SendQueue').url;
const dir = mkdtempSync(join(tmpdir(), 'enqueue-cli-'));

async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runTool('enqueue.ts', args, { ...process.env, ...env });
}

async function receiveAll(): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => m.Body!));
  }
}

describe('npm run enqueue', () => {
  it('enqueues valid JSON Lines in batches and normalises recipients', async () => {
    const file = join(dir, 'good.jsonl');
    writeFileSync(
      file,
      Array.from({ length: 23 }, (_, i) =>
        JSON.stringify(aJob({ campaignId: 'cli', recipient: recipientNumber(i).replace('+', '') })),
      ).join('\n'),
    );
    const result = await runCli(['--queue-url', queueUrl, '--endpoint', endpoints.sqs, file]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ valid: 23, invalid: 0, enqueued: 23, failed: 0 });
    const bodies = await receiveAll();
    expect(bodies).toHaveLength(23);
    expect(JSON.parse(bodies[0]!).recipient).toMatch(/^\+49151/);
    expect(JSON.parse(bodies[0]!).createdAt).toBeDefined();
  });

  it('enqueues nothing when any job is invalid, and names each bad line', async () => {
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, [JSON.stringify(aJob()), '{"broken":', JSON.stringify(aJob({ recipient: '+5351234567' }))].join('\n'));
    const result = await runCli(['--queue-url', queueUrl, '--endpoint', endpoints.sqs, file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 2: malformed_json');
    expect(result.stderr).toContain('line 3: restricted_recipient');
    expect(await receiveAll()).toHaveLength(0);
  });

  it('with --skip-invalid enqueues the valid ones and still exits 1', async () => {
    const file = join(dir, 'skip.json');
    writeFileSync(file, JSON.stringify([aJob({ campaignId: 'skip' }), { schemaVersion: 1 }]));
    const result = await runCli(['--queue-url', queueUrl, '--endpoint', endpoints.sqs, '--skip-invalid', file]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: 1, invalid: 1, enqueued: 1 });
    expect(await receiveAll()).toHaveLength(1);
  });

  it('refuses each bad line with the reason and detail the sender gives the same body, quoting no phone number', async () => {
    const job = aJob({ campaignId: 'same-reasons' });
    const lines = [
      `[${JSON.stringify(job)}]`,
      JSON.stringify(job),
      '{"schemaVersion":1,',
      JSON.stringify(aJob({ recipient: '+989123456789' })),
      JSON.stringify(aJob({ recipient: '+49 151 CALL ME' })),
      JSON.stringify({ ...aJob(), '+4915112345678': 'Jasper' }),
      JSON.stringify(aJob({ template: { name: 'autumn_sale', language: { code: 'en_US' }, components: [bodyOf(100, 2_500)] } })),
      JSON.stringify(aJob({ template: { name: 'autumn_sale', language: { code: 'en_US' }, components: [headerOf(61), bodyOf(1, 5)] } })),
      '   ',
      '"+4915112345678"',
    ];
    const file = join(dir, 'bad-lines.jsonl');
    writeFileSync(file, lines.join('\n'));
    const result = await runCli(['--dry-run', file]);

    expect(result.code).toBe(1);
    const sender = loadRecipientPolicy({});
    const expected = lines.flatMap((line, i) => {
      const validation = validateJobBody(line.trim(), sender);
      return line.trim() && !validation.ok ? [`job line ${i + 1}: ${validation.rejection.reason}: ${validation.rejection.detail}`] : [];
    });
    expect(expected).toHaveLength(8);
    expect(result.stderr.trim().split('\n')).toEqual(expected);
    expect(result.stderr).toContain('job line 1: malformed_json: a job must be a JSON object (one job per message)');
    expect(result.stderr).toContain('job line 7: schema_violation: ');
    expect(result.stderr).not.toMatch(/989123456789|4915112345678|^\s+at /m);
    expect(JSON.parse(result.stdout)).toEqual({ valid: 1, invalid: 8, enqueued: 0 });
  });

  it('refuses the countries and prefixes the sender refuses: BLOCKED_COUNTRIES and BLOCKED_PREFIXES, or the options', async () => {
    const file = join(dir, 'policy.jsonl');
    writeFileSync(
      file,
      [recipientNumber(1), '+5351234567', '+12025550123'].map((recipient) => JSON.stringify(aJob({ recipient }))).join('\n'),
    );
    const reasons = (stderr: string) => stderr.trim().split('\n').filter(Boolean);

    expect(reasons((await runCli(['--dry-run', file])).stderr)).toEqual([
      'job line 2: restricted_recipient: recipient country CU is restricted',
    ]);
    const fromEnv = await runCli(['--dry-run', file], { BLOCKED_COUNTRIES: 'US', BLOCKED_PREFIXES: '+4915110' });
    expect(reasons(fromEnv.stderr)).toEqual([
      'job line 1: restricted_recipient: recipient prefix +4915110 is blocked by configuration',
      'job line 3: restricted_recipient: recipient country US is restricted',
    ]);
    const fromOptions = await runCli(['--dry-run', '--blocked-countries', 'US, CU', '--blocked-prefixes', '+1202', file], {
      BLOCKED_PREFIXES: '+4915110',
    });
    expect(reasons(fromOptions.stderr)).toEqual([
      'job line 2: restricted_recipient: recipient country CU is restricted',
      'job line 3: restricted_recipient: recipient country US is restricted',
    ]);
  });

  it('reports a file it cannot read in one line, without a stack trace', async () => {
    const result = await runCli(['--dry-run', join(dir, 'missing.jsonl')]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(`cannot read ${join(dir, 'missing.jsonl')}: ENOENT`);
  });

  it('explains its usage on bad arguments', async () => {
    const result = await runCli(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: enqueue');
  });
});

function bodyOf(parameters: number, characters: number) {
  return {
    type: 'body' as const,
    parameters: Array.from({ length: parameters }, () => ({ type: 'text' as const, text: 'x'.repeat(characters) })),
  };
}

function headerOf(characters: number) {
  return { type: 'header' as const, parameters: [{ type: 'text' as const, text: 'x'.repeat(characters) }] };
}
