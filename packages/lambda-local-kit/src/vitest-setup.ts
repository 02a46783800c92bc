import type { TestProject } from 'vitest/node';
import { localStackEnv, startLocalStack } from './local-stack.ts';
import './vitest.ts';

/**
 * A vitest global setup (`globalSetup: ['lambda-local-kit/vitest-setup']`, or a file that
 * re-exports it): starts DynamoDB Local, fauxqs and the SSM stand-in once for the whole test run.
 * Test files read the endpoints with `useLocalStack()` (or `inject('localStackEndpoints')`);
 * processes they spawn find them in `LOCAL_SQS_ENDPOINT`, `LOCAL_DYNAMODB_ENDPOINT` and
 * `LOCAL_SSM_ENDPOINT`, next to the SDK's region, dummy credentials and endpoint variables.
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
