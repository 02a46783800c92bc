import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { aJob, recipientNumber } from '../helpers/factories.ts';
import { createTestResources, useLocalStack } from '../helpers/local-stack.ts';

const { endpoints, clients } = useLocalStack();
const resources = await createTestResources();
const queueUrl = resources.queue('SendQueue').url;
const dir = mkdtempSync(join(tmpdir(), 'enqueue-cli-'));

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['tools/enqueue.ts', ...args], {
      cwd: new URL('../../', import.meta.url),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
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

  it('explains its usage on bad arguments', async () => {
    const result = await runCli(['--bogus']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('usage: enqueue');
  });
});
