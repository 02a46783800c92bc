#!/usr/bin/env node
/**
 * One command for every runbook step (docs/operations.md), each the same as a console action
 * (docs/ops-command.md says which):
 *
 *   npm run ops -- campaign pause|resume|cancel|show|progress <campaignId>
 *   npm run ops -- breaker list | show <phoneNumberId> | close <phoneNumberId>
 *   npm run ops -- sending stop --reason "<why>" | start | show
 *   npm run ops -- unknown list <campaignId> [--after-seconds N] [--json]
 *   npm run ops -- unknown resend <campaignId> [--after-seconds N] [--dry-run]
 *   npm run ops -- dlq redrive send|deferred|status|feed [--include-rejected] [--max N] [--json]
 *   npm run ops -- erase <+E.164> [--no-keep-suppression]
 *
 * Configuration as the deployed functions read it (CAMPAIGNS_TABLE, JOBS_TABLE, CONTROL_TABLE,
 * USERS_TABLE, the *_QUEUE_URL), endpoints of a local stack from AWS_ENDPOINT_URL_*. The campaign,
 * erase and resend commands are the existing tools', run as they are. Exit codes: 0 done, 1 not
 * found or refused in the current state (nothing changed), 2 usage error or invalid input.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CommandFailed, invalidInput } from './campaign/failure.ts';
import { closeBreaker, listBreakers, showBreaker, showSending, startSending, stopSending } from './ops/breakers.ts';
import { createOpsContext, type OpsContext } from './ops/context.ts';
import { redriveDeadLetters } from './ops/dlq-redrive.ts';
import { listUnknown } from './ops/unknown.ts';

const USAGE = `usage: ops campaign pause|resume|cancel|show|progress <campaignId>
       ops breaker list | show <phoneNumberId> | close <phoneNumberId>
       ops sending stop --reason "<why>" | start | show
       ops unknown list|resend <campaignId> [--after-seconds N] [--json | --dry-run]
       ops dlq redrive send|deferred|status|feed [--include-rejected] [--max N] [--json]
       ops erase <+E.164> [--no-keep-suppression]`;

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      'after-seconds': { type: 'string' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'include-rejected': { type: 'boolean' },
      max: { type: 'string' },
      'no-keep-suppression': { type: 'boolean' },
    },
  });
}

type Values = ReturnType<typeof parseOptions>['values'];

interface Command {
  /** The words after the area and action: their names, for the usage message. */
  positionals: string[];
  options: (keyof Values)[];
  run: (context: OpsContext, argument: string, values: Values) => Promise<void> | number;
}

const TOOLS = fileURLToPath(new URL('.', import.meta.url));

/** An existing operator tool, run as it is (its own output and exit code). */
function tool(script: string, args: string[]): number {
  return spawnSync(process.execPath, [`${TOOLS}${script}`, ...args], { stdio: 'inherit', env: process.env }).status ?? 1;
}

const steer = (action: string): Command => ({
  positionals: ['campaignId'],
  options: [],
  run: (_, id) => tool('campaign.ts', [action, id]),
});

const COMMANDS: Record<string, Command> = {
  'campaign pause': steer('pause'),
  'campaign resume': steer('resume'),
  'campaign cancel': steer('cancel'),
  'campaign show': steer('show'),
  'campaign progress': {
    positionals: ['campaignId'],
    options: ['json'],
    // The item's progress, then the counters' figures: the numbers the dashboard draws.
    run: (_, id, values) =>
      tool('campaign.ts', ['show', id, ...(values.json ? ['--json'] : [])]) ||
      tool('campaign-report.ts', [id, ...(values.json ? ['--json'] : [])]),
  },
  'breaker list': { positionals: [], options: [], run: (context) => listBreakers(context) },
  'breaker show': { positionals: ['phoneNumberId'], options: [], run: showBreaker },
  'breaker close': { positionals: ['phoneNumberId'], options: [], run: closeBreaker },
  'sending stop': { positionals: [], options: ['reason'], run: (context, _, values) => stopSending(context, values.reason) },
  'sending start': { positionals: [], options: [], run: (context) => startSending(context) },
  'sending show': { positionals: [], options: [], run: (context) => showSending(context) },
  'unknown list': {
    positionals: ['campaignId'],
    options: ['after-seconds', 'json'],
    run: (context, campaignId, values) =>
      listUnknown(context, { campaignId, afterSeconds: afterSecondsOf(values), json: values.json ?? false }),
  },
  'unknown resend': {
    positionals: ['campaignId'],
    options: ['after-seconds', 'dry-run'],
    run: (context, campaignId, values) =>
      tool('resend-unknown.ts', [
        '--jobs-table',
        context.setting('JOBS_TABLE'),
        '--send-queue-url',
        context.setting('SEND_QUEUE_URL'),
        '--deferred-queue-url',
        context.setting('DEFERRED_QUEUE_URL'),
        '--after-seconds',
        String(afterSecondsOf(values)),
        ...(values['dry-run'] ? ['--dry-run'] : []),
        campaignId,
      ]),
  },
  'dlq redrive': {
    positionals: ['queue'],
    options: ['include-rejected', 'max', 'json'],
    run: (context, queue, values) =>
      redriveDeadLetters(context, {
        queue,
        includeRejected: values['include-rejected'] ?? false,
        max: maxOf(values),
        json: values.json ?? false,
      }),
  },
  erase: {
    positionals: ['phone'],
    options: ['no-keep-suppression'],
    run: (_, phone, values) => tool('erase.ts', [...(values['no-keep-suppression'] ? ['--no-keep-suppression'] : []), phone]),
  },
};

/** A re-send's window: a status may still come for a younger unknown job. One hour by default, as `resend-unknown`. */
function afterSecondsOf(values: Values): number {
  const text = values['after-seconds'] ?? '3600';
  if (!/^\d+$/.test(text)) throw invalidInput(`--after-seconds must be a whole number of seconds, not ${text}`);
  return Number(text);
}

function maxOf(values: Values): number {
  if (values.max === undefined) return Number.POSITIVE_INFINITY;
  if (!/^\d+$/.test(values.max) || Number(values.max) < 1) throw invalidInput(`--max must be a whole number from 1, not ${values.max}`);
  return Number(values.max);
}

/** The command and its one positional, or a usage error naming what is wrong; checked before anything is read or written. */
function checkCommandLine(args: string[]): { command: Command; argument: string; values: Values } {
  const { values, positionals } = parseOptions(args);
  const [area, action, ...rest] = positionals;
  const name = COMMANDS[`${area} ${action}`] ? `${area} ${action}` : area;
  const command = name === undefined ? undefined : COMMANDS[name];
  if (!command) throw invalidInput(area ? `unknown command: ${positionals.slice(0, 2).join(' ')}` : 'no command given');
  const words = name === area ? positionals.slice(1) : rest;
  if (words.length !== command.positionals.length) {
    throw invalidInput(`${name} takes ${command.positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}`);
  }
  const misplaced = Object.keys(values).filter((option) => !command.options.includes(option as keyof Values));
  if (misplaced.length > 0) throw invalidInput(`${misplaced.map((option) => `--${option}`).join(', ')} does not apply to ${name}`);
  return { command, argument: words[0] ?? '', values };
}

async function main(): Promise<number> {
  const context = createOpsContext(process.env, (line) => console.log(line));
  try {
    const { command, argument, values } = checkCommandLine(process.argv.slice(2));
    const code = await command.run(context, argument, values);
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    if (error instanceof CommandFailed) {
      console.error(error.exitCode === 2 ? `${error.message}\n${USAGE}` : error.message);
      return error.exitCode;
    }
    // parseArgs' own errors (an unknown option, a missing value) are usage errors too.
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    console.error(`ops failed: ${(error as Error).message}`);
    return 1;
  } finally {
    context.close();
  }
}

process.exitCode = await main();
