import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../examples/scenario.json', import.meta.url));

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI with the Node that runs the tests (Node 24, which runs .ts files as they are). */
function startCli(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { stdout: () => stdout, stderr: () => stderr };
}

/** Runs the CLI to its end. */
async function runCli(args: readonly string[]): Promise<CliRun> {
  const child = startCli(args);
  const output = collect(child);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/** Resolves with the stdout seen so far once it matches `pattern`; rejects if the process ends first. */
function waitForOutput(child: ChildProcess, read: () => string, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(read());
      if (!match) return;
      child.stdout?.off('data', check);
      child.off('exit', onExit);
      resolve(match);
    };
    const onExit = (code: number | null): void => reject(new Error(`the CLI exited (${code}) before printing ${pattern}:\n${read()}`));
    child.stdout?.on('data', check);
    child.once('exit', onExit);
    check();
  });
}

function writeTemp(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'sim-cli-')), name);
  writeFileSync(path, text);
  return path;
}

describe('mm-api-simulator CLI', () => {
  let running: ChildProcess | undefined;
  afterEach(() => {
    if (running?.exitCode === null) running.kill('SIGKILL');
    running = undefined;
  });

  it('prints its usage with --help and exits 0', async () => {
    const run = await runCli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: mm-api-simulator \[options\]/);
    for (const option of ['--port', '--host', '--scenario', '--webhook-target', '--help']) expect(run.stdout).toContain(option);
  });

  it.each([
    ['an unknown option', ['--prot', '4010'], /Unknown option '--prot'/],
    ['a positional argument', ['demo.json'], /Unexpected argument 'demo\.json'/],
    ['an option without its value', ['--port'], /--port/],
    ['a port that is not a number', ['--port', 'abc'], /--port must be a whole number from 0 to 65535, got "abc"/],
    ['a port out of range', ['--port', '70000'], /--port must be a whole number from 0 to 65535, got "70000"/],
    ['a webhook target that is not http(s)', ['--webhook-target', 'ftp://example.com/hook'], /--webhook-target: .*http or https/],
    [
      'a scenario file that does not exist',
      ['--scenario', '/nonexistent/scenario.json'],
      /--scenario: Invalid scenario in \/nonexistent\/scenario\.json:\n {2}- cannot read the file/,
    ],
  ])('refuses %s with a clear message, the usage and exit code 2', async (_label, args, message) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('Usage: mm-api-simulator');
    expect(run.stdout).toBe('');
  });

  it('refuses an invalid scenario file, naming the field, with exit code 2', async () => {
    const path = writeTemp('bad.json', JSON.stringify({ rules: [{ error: 99999 }] }));
    const run = await runCli(['--scenario', path]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`Invalid scenario in ${path}`);
    expect(run.stderr).toContain('rules[0].error: 99999 is not an error code');
  });

  it('serves a scenario until SIGTERM, then prints its stats and exits 0', async () => {
    running = startCli(['--port', '0', '--scenario', EXAMPLE, '--webhook-target', 'http://127.0.0.1:9/webhooks']);
    const output = collect(running);
    // The banner ends with the webhook target line.
    const [, url] = await waitForOutput(running, output.stdout, /listening on (http:\/\/127\.0\.0\.1:\d+)\n[\s\S]*webhooks: .*\n/);
    expect(output.stdout()).toContain('phone numbers: 100000000000001 @ 80/s; 4 rule(s)');
    expect(output.stdout()).toContain('webhooks: http://127.0.0.1:9/webhooks');

    const health = await fetch(`${url}/_sim/health`);
    expect(await health.json()).toEqual({ ok: true });
    const scenario = (await (await fetch(`${url}/_sim/scenario`)).json()) as { rules: Array<{ name: string }> };
    expect(scenario.rules.map((rule) => rule.name)).toEqual(['flaky-twice', 'hangs-once', 'per-user-limit', 'ttl-drop']);

    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    expect(output.stdout()).toMatch(/SIGTERM: stopping\. Stats: \{"total":0,/);
  });
});
