import { clientsFor, type LocalStack, RequestCounter, startLocalStack } from 'lambda-local-kit';
import { loadScenario, type Simulator, startSimulator } from 'mm-api-simulator';
import type { LocalDeployment } from './deployment.ts';

/** Demo-length waits. Production keeps Meta's: 24 h after a 131049, the classified retry waits. */
export const DEMO_ENV = {
  PER_USER_LIMIT_DELAY_SECONDS: '8',
  META_RETRY_WAITS: JSON.stringify({ 1: 2, 131000: 2, 131016: 2, 133004: 2 }),
  META_REQUEST_TIMEOUT_MS: '3000',
};

/** The demo scenario `npm start` and `npm run demo:jobs` run against. */
export const DEMO_SCENARIO = new URL('./scenarios/demo.json', import.meta.url).pathname;

export interface DemoStack {
  stack: LocalStack;
  sim: Simulator;
  clients: ReturnType<typeof clientsFor>;
  counter: RequestCounter;
  /** The deployment to stop with the rest, once there is one. */
  track(deployment: LocalDeployment): void;
  stop(): Promise<void>;
}

/**
 * The local stack and the MM API simulator for a demo (the scenario's numbers at `rate` if
 * given), stopped together on `stop()` or Ctrl-C.
 */
export async function startDemoStack(options: { scenario: string; rate?: string | undefined }): Promise<DemoStack> {
  const stack = await startLocalStack();
  const scenario = loadScenario(options.scenario);
  if (options.rate) for (const phone of scenario.phoneNumbers) phone.ratePerSecond = Number(options.rate);
  const sim = await startSimulator(scenario);
  const clients = clientsFor(stack.endpoints);
  let deployment: LocalDeployment | undefined;
  const stop = async () => {
    await deployment?.stop();
    await sim.stop();
    clients.destroy();
    await stack.stop();
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  const track = (deployed: LocalDeployment) => {
    deployment = deployed;
  };
  return { stack, sim, clients, counter: new RequestCounter(), track, stop };
}
