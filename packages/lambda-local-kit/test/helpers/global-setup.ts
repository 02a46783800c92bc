import type { TestProject } from 'vitest/node';
import { type LocalEndpoints, localStackEnv, startLocalStack } from '../../src/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the local stack that the global setup started for this test run. */
    localStackEndpoints: LocalEndpoints;
  }
}

/**
 * Starts DynamoDB Local, fauxqs and the SSM stand-in once for the kit's test run. Test files read
 * the endpoints with `inject('localStackEndpoints')` (see `useLocalStack()`); the endpoint
 * variables `connectLocalStack()` reads are set too. Every test file creates its own queues and
 * tables under a unique stage, so files never share state.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await startLocalStack();
  project.provide('localStackEndpoints', stack.endpoints);

  const env = localStackEnv(stack.endpoints);
  const previous = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);

  return async () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await stack.stop();
  };
}
