import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimulatedCall, SimulatorStats } from './call-log.ts';
import { parseJson, readBody, writeJson } from './http-io.ts';
import { canonicalRecipient } from './rules.ts';
import { ScenarioError, type Scenario } from './scenario.ts';

/** Path prefix of the simulator's own endpoints; Graph never uses it. */
export const CONTROL_PREFIX = '/_sim/';

/** The parts of the simulator the control endpoints drive. */
export interface SimulatorControl {
  calls(): SimulatedCall[];
  stats(): SimulatorStats;
  scenario(): Scenario;
  setScenario(input: unknown, source: string): Scenario;
  reset(): void;
}

function controlError(response: ServerResponse, status: number, message: string, issues?: readonly string[]): void {
  writeJson(response, status, { error: { message, ...(issues ? { issues } : {}) } });
}

/** Filters `GET /_sim/calls` by `recipient` (compared by digits), `outcome` and `limit` (the latest N). */
function filterCalls(calls: SimulatedCall[], query: URLSearchParams): SimulatedCall[] {
  let selected = calls;
  const recipient = query.get('recipient');
  if (recipient !== null) {
    const key = canonicalRecipient(recipient);
    selected = selected.filter((call) => call.recipient !== undefined && canonicalRecipient(call.recipient) === key);
  }
  const outcome = query.get('outcome');
  if (outcome !== null) selected = selected.filter((call) => String(call.outcome) === outcome);
  const limit = Number(query.get('limit'));
  if (Number.isInteger(limit) && limit > 0) selected = selected.slice(-limit);
  return selected;
}

/**
 * Serves `/_sim/*`: `GET calls`, `GET stats`, `GET health`, `GET|POST scenario`, `POST reset`.
 * No auth: the simulator only listens on loopback.
 */
export async function handleControlRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  query: URLSearchParams,
  control: SimulatorControl,
): Promise<void> {
  const route = `${request.method ?? 'GET'} ${path.slice(CONTROL_PREFIX.length)}`;
  switch (route) {
    case 'GET health':
      return writeJson(response, 200, { ok: true });
    case 'GET calls':
      return writeJson(response, 200, { calls: filterCalls(control.calls(), query) });
    case 'GET stats':
      return writeJson(response, 200, control.stats());
    case 'GET scenario':
      return writeJson(response, 200, control.scenario());
    case 'POST reset':
      await readBody(request);
      control.reset();
      return writeJson(response, 200, { ok: true });
    case 'POST scenario': {
      const body = await readBody(request);
      const json = body.ok ? parseJson(body.text) : { ok: false as const };
      if (!json.ok) return controlError(response, 400, 'The body must be a scenario as JSON.');
      try {
        return writeJson(response, 200, { ok: true, scenario: control.setScenario(json.value, 'POST /_sim/scenario') });
      } catch (error) {
        if (error instanceof ScenarioError) return controlError(response, 400, error.message, error.issues);
        throw error;
      }
    }
    default:
      return controlError(response, 404, `No simulator control endpoint ${route}`);
  }
}
