/**
 * Runs the MM API simulator standalone:
 *
 *   node local/simulator/cli.ts [--port 4010] [--host 127.0.0.1] [--scenario path.json] [--webhook-target url]
 *
 * Without --scenario it uses the built-in defaults (see docs/simulator.md). --webhook-target
 * sends the scenario's webhooks there (it can also be set later: POST /_sim/webhook-target).
 * Prints its URL, and its stats when stopped with SIGINT or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { ScenarioError, loadScenario, type ScenarioInput } from './scenario.ts';
import { startSimulator } from './server.ts';
import { parseWebhookTarget } from './webhook-emitter.ts';

const USAGE = 'Usage: node local/simulator/cli.ts [--port 4010] [--host 127.0.0.1] [--scenario path.json] [--webhook-target url]';

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port must be 0–65535, got "${text}"`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      scenario: { type: 'string' },
      'webhook-target': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const scenario: ScenarioInput = values.scenario ? loadScenario(values.scenario) : {};
  const webhookTarget = values['webhook-target'];
  if (webhookTarget !== undefined) parseWebhookTarget(webhookTarget); // fail before listening
  const simulator = await startSimulator({ ...scenario, port: parsePort(values.port), host: values.host });
  if (webhookTarget !== undefined) simulator.setWebhookTarget(webhookTarget);
  const current = simulator.scenario();
  console.log(`MM API simulator listening on ${simulator.url}`);
  console.log(
    `  scenario: ${values.scenario ?? '(built-in defaults)'}; phone numbers: ${current.phoneNumbers
      .map((phone) => `${phone.id} @ ${phone.ratePerSecond}/s`)
      .join(', ')}; ${current.rules.length} rule(s)`,
  );
  if (current.webhooks) console.log(`  webhooks: ${simulator.webhookTarget() ?? 'no target yet (POST /_sim/webhook-target)'}`);

  const shutdown = (signal: string): void => {
    console.log(`\n${signal}: stopping. Stats: ${JSON.stringify(simulator.stats())}`);
    if (current.webhooks) console.log(`  webhooks: ${JSON.stringify(simulator.webhookStats())}`);
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

main().catch((error: unknown) => {
  console.error(error instanceof ScenarioError || error instanceof TypeError ? error.message : error);
  console.error(USAGE);
  process.exit(1);
});
