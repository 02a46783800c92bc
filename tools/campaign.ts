#!/usr/bin/env node
/**
 * Creates, shows, lists, steers and reports campaigns.
 *
 *   npm run campaign -- create <campaign.json> [--audience <local file>]
 *   npm run campaign -- show <id> [--watch | --json]
 *   npm run campaign -- list [--limit N]
 *   npm run campaign -- pause|resume|cancel <id>
 *   npm run campaign -- report <id> [--out file.csv] [--mask]
 *
 * Configuration as the deployed functions read it: CAMPAIGNS_TABLE, JOBS_TABLE, CONTROL_TABLE,
 * FEED_QUEUE_URL (each command needs only its own), BLOCKED_COUNTRIES and BLOCKED_PREFIXES for the
 * report; endpoints of a local stack from --endpoint-dynamodb/-sqs/-s3 or AWS_ENDPOINT_URL_*.
 * Exit codes: 0 done, 1 no such campaign or the move is refused, 2 usage error or invalid input.
 */
import { parseArgs } from 'node:util';
import { type CampaignCliContext, type ConfigName, createCliContext } from './campaign/context.ts';
import { createCampaign } from './campaign/create.ts';
import { CommandFailed, invalidInput } from './campaign/failure.ts';
import { listCampaigns } from './campaign/list.ts';
import { reportToFileOrStdout } from './campaign/report-output.ts';
import { showCampaign } from './campaign/show.ts';
import { type SteerAction, steerCampaign } from './campaign/steer.ts';
import { watchCampaign } from './campaign/watch.ts';

const USAGE = `usage: campaign create <campaign.json> [--audience <file>]
       campaign show <id> [--watch | --json]
       campaign list [--limit N]
       campaign pause|resume|cancel <id>
       campaign report <id> [--out <file.csv>] [--mask]
options for a local stack: --endpoint-dynamodb <url> --endpoint-sqs <url> --endpoint-s3 <url>`;

const COMMON = ['endpoint-dynamodb', 'endpoint-sqs', 'endpoint-s3'];

/** Per command: its positional arguments, the options that apply to it, and the configuration it reads. */
const COMMANDS: Record<string, { positionals: string[]; options: string[]; needs: ConfigName[] }> = {
  create: { positionals: ['campaign.json'], options: ['audience'], needs: ['CAMPAIGNS_TABLE'] },
  show: { positionals: ['id'], options: ['watch', 'json'], needs: ['CAMPAIGNS_TABLE'] },
  list: { positionals: [], options: ['limit'], needs: ['CAMPAIGNS_TABLE'] },
  pause: { positionals: ['id'], options: [], needs: ['CAMPAIGNS_TABLE', 'CONTROL_TABLE', 'FEED_QUEUE_URL'] },
  resume: { positionals: ['id'], options: [], needs: ['CAMPAIGNS_TABLE', 'CONTROL_TABLE', 'FEED_QUEUE_URL'] },
  cancel: { positionals: ['id'], options: [], needs: ['CAMPAIGNS_TABLE', 'CONTROL_TABLE', 'FEED_QUEUE_URL'] },
  report: { positionals: ['id'], options: ['out', 'mask'], needs: ['CAMPAIGNS_TABLE', 'JOBS_TABLE'] },
};

/** The command line, parsed; throws on an unknown option. */
function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      'endpoint-dynamodb': { type: 'string' },
      'endpoint-sqs': { type: 'string' },
      'endpoint-s3': { type: 'string' },
      audience: { type: 'string' },
      watch: { type: 'boolean' },
      json: { type: 'boolean' },
      limit: { type: 'string' },
      out: { type: 'string' },
      mask: { type: 'boolean' },
    },
  });
}

type Parsed = ReturnType<typeof parseOptions>;

/** The command and its arguments, or a usage error naming what is wrong. */
function checkCommandLine({ values, positionals }: Parsed): { command: string; argument: string | undefined } {
  const [command, ...rest] = positionals;
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (!command || !spec) throw invalidInput(command ? `unknown command ${command}` : 'no command given');
  if (rest.length !== spec.positionals.length) {
    throw invalidInput(`${command} takes ${spec.positionals.map((name) => `<${name}>`).join(' ') || 'no arguments'}`);
  }
  const misplaced = Object.keys(values).filter((name) => !COMMON.includes(name) && !spec.options.includes(name));
  if (misplaced.length > 0) throw invalidInput(`${misplaced.map((name) => `--${name}`).join(', ')} does not apply to ${command}`);
  if (values.watch && values.json) throw invalidInput('--watch and --json do not go together');
  return { command, argument: rest[0] };
}

/** `--limit`: a whole number from 1 to 1000; 20 by default. */
function limitOf(text: string | undefined): number {
  if (text === undefined) return 20;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > 1000) throw invalidInput(`--limit must be a whole number from 1 to 1000, not ${text}`);
  return limit;
}

/** Ctrl-C ends a watch (exit 0), not the process in the middle of a redraw. */
function stopOnCtrlC(): AbortSignal {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  return stop.signal;
}

/** Runs one command against the context; `argument` is the command's one positional (checked before). */
async function run(context: CampaignCliContext, { values }: Parsed, command: string, argument: string): Promise<void> {
  switch (command) {
    case 'create':
      await createCampaign({ ...context, file: argument, audienceFile: values.audience });
      return;
    case 'list':
      await listCampaigns({ ...context, limit: limitOf(values.limit) });
      return;
    case 'report':
      await reportToFileOrStdout({ ...context, campaignId: argument, mask: values.mask ?? false }, values.out);
      return;
    case 'show':
      if (values.watch) await watchCampaign({ ...context, campaignId: argument, signal: stopOnCtrlC() });
      else await showCampaign({ ...context, campaignId: argument, json: values.json });
      return;
    default:
      await steerCampaign({ ...context, campaignId: argument, action: command as SteerAction });
  }
}

/** The command line checked before anything is read or written; a usage error (exit 2) names what is wrong. */
function readCommandLine(): { parsed: Parsed; command: string; argument: string | undefined } | undefined {
  try {
    const parsed = parseOptions(process.argv.slice(2));
    const line = { parsed, ...checkCommandLine(parsed) };
    if (line.command === 'list') limitOf(parsed.values.limit);
    return line;
  } catch (error) {
    // parseArgs' own errors (an unknown option, a missing value) are usage errors as well.
    console.error(`${(error as Error).message}\n${USAGE}`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const line = readCommandLine();
  if (!line) return 2;
  const { parsed, command, argument } = line;
  let close = () => {};
  try {
    const endpoints = {
      dynamodb: parsed.values['endpoint-dynamodb'],
      sqs: parsed.values['endpoint-sqs'],
      s3: parsed.values['endpoint-s3'],
    };
    const built = createCliContext({ env: process.env, needs: COMMANDS[command]!.needs, endpoints, out: (text) => console.log(text) });
    close = built.close;
    await run(built.context, parsed, command, argument ?? '');
    return 0;
  } catch (error) {
    if (error instanceof CommandFailed) {
      console.error(error.message);
      return error.exitCode;
    }
    console.error(`campaign ${command} failed: ${(error as Error).message}`);
    return 1;
  } finally {
    close();
  }
}

process.exitCode = await main();
