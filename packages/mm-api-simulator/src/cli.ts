#!/usr/bin/env node
/**
 * The `mm-api-simulator` command: runs the simulator standalone, prints its URL, and prints its
 * stats when stopped with SIGINT or SIGTERM.
 *
 * Exit codes: 0 after --help or a clean stop; 1 when it cannot run (e.g. the port is taken);
 * 2 for a command line it refuses (an unknown option, a bad port or webhook target, a scenario
 * file that cannot be read or is invalid), so that scripts can tell a typo from a crash.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { loadScenario, ScenarioError, type ScenarioInput } from './scenario.ts';
import { type Simulator, startSimulator } from './server.ts';
import { parseWebhookTarget } from './webhook-emitter.ts';

const USAGE = `Usage: mm-api-simulator [options]

A local stand-in for Meta's Marketing Messages API for WhatsApp.

Options:
  --port <n>              port to listen on, 0 for any free one (default 4010)
  --host <address>        address to listen on (default 127.0.0.1)
  --scenario <file.json>  scenario file (default: the built-in defaults)
  --webhook-target <url>  where to post webhooks (also later: POST /_sim/webhook-target)
  -h, --help              show this help`;

/** A command line the CLI refuses: reported with the usage and exit code 2. */
class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** What the command line asks for: the usage, or a simulator to run. */
type CommandLine =
  | { help: true }
  | { help: false; port: number; host: string; scenarioPath: string | undefined; webhookTarget: string | undefined };

function parsePort(text: string): number {
  const port = Number(text);
  if (text.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${text}"`);
  }
  return port;
}

const OPTIONS = {
  port: { type: 'string', default: '4010' },
  host: { type: 'string', default: '127.0.0.1' },
  scenario: { type: 'string' },
  'webhook-target': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS }).values;
  } catch (cause) {
    // parseArgs names the offending option or argument in its message.
    throw new UsageError((cause as Error).message, { cause });
  }
}

function parseCommandLine(args: string[]): CommandLine {
  const values = parseOptions(args);
  if (values.help) return { help: true };
  const webhookTarget = values['webhook-target'];
  if (webhookTarget !== undefined) {
    try {
      parseWebhookTarget(webhookTarget);
    } catch (cause) {
      throw new UsageError(`--webhook-target: ${(cause as Error).message}`, { cause });
    }
  }
  return { help: false, port: parsePort(values.port), host: values.host, scenarioPath: values.scenario, webhookTarget };
}

function readScenarioFile(path: string): ScenarioInput {
  try {
    return loadScenario(path);
  } catch (cause) {
    if (cause instanceof ScenarioError) throw new UsageError(`--scenario: ${cause.message}`, { cause });
    throw cause;
  }
}

function startupLines(simulator: Simulator, scenarioPath: string | undefined): string[] {
  const scenario = simulator.scenario();
  const numbers = scenario.phoneNumbers.map((phone) => `${phone.id} @ ${phone.ratePerSecond}/s`).join(', ');
  const lines = [
    `MM API simulator listening on ${simulator.url}`,
    `  scenario: ${scenarioPath ?? '(built-in defaults)'}; phone numbers: ${numbers}; ${scenario.rules.length} rule(s)`,
  ];
  if (scenario.webhooks) lines.push(`  webhooks: ${simulator.webhookTarget() ?? 'no target yet (POST /_sim/webhook-target)'}`);
  return lines;
}

function stopOnSignals(simulator: Simulator): void {
  const shutdown = (signal: string): void => {
    console.log(`\n${signal}: stopping. Stats: ${JSON.stringify(simulator.stats())}`);
    if (simulator.scenario().webhooks) console.log(`  webhooks: ${JSON.stringify(simulator.webhookStats())}`);
    simulator.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

async function main(args: string[]): Promise<void> {
  const commandLine = parseCommandLine(args);
  if (commandLine.help) {
    console.log(USAGE);
    return;
  }
  const scenario = commandLine.scenarioPath === undefined ? {} : readScenarioFile(commandLine.scenarioPath);
  const simulator = await startSimulator({ ...scenario, port: commandLine.port, host: commandLine.host });
  if (commandLine.webhookTarget !== undefined) simulator.setWebhookTarget(commandLine.webhookTarget);
  for (const line of startupLines(simulator, commandLine.scenarioPath)) console.log(line);
  stopOnSignals(simulator);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`mm-api-simulator: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  console.error('mm-api-simulator:', error);
  process.exitCode = 1;
});
