import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { clientsFor, type LocalClients } from './clients.ts';
import type { LocalEndpoints } from './local-aws.ts';
import { createResources, type LocalQueue, type LocalResources, type LocalTable, queueOf, tableOf } from './resources.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the local stack that the global setup (`lambda-local-kit/vitest-setup`) started for this test run. */
    localStackEndpoints: LocalEndpoints;
  }
}

/** The local stack as a test file sees it. */
export interface TestLocalStack {
  endpoints: LocalEndpoints;
  clients: LocalClients;
}

/**
 * Endpoints of the run's local stack (started by the global setup) and SDK clients for it. Call it
 * at the top of a test file: the clients are destroyed after the file's tests.
 *
 * @example
 * const { clients } = useLocalStack();
 */
export function useLocalStack(): TestLocalStack {
  const endpoints = inject('localStackEndpoints');
  const clients = clientsFor(endpoints);
  afterAll(() => clients.destroy());
  return { endpoints, clients };
}

/** Resources created for one test or file, under their own stage. */
export interface TestResources {
  stage: string;
  resources: LocalResources;
  queue(logicalId: string): LocalQueue;
  table(logicalId: string): LocalTable;
}

/** Which CloudFormation files to create resources from, for which `${self:service}`, with which property changes. */
export interface TestResourcesOptions {
  service: string;
  files: readonly string[];
  /** Property changes per logical id, e.g. `{ SendQueue: { VisibilityTimeout: 1 } }`. */
  overrides?: Record<string, Record<string, unknown>> | undefined;
}

/** Creates the queues and tables of `files` under a fresh stage, so no two calls share a name. */
export async function createTestResources({ service, files, overrides }: TestResourcesOptions): Promise<TestResources> {
  const endpoints = inject('localStackEndpoints');
  const stage = `t${randomBytes(5).toString('hex')}`;
  const resources = await createResources({
    sqsEndpoint: endpoints.sqs,
    dynamoEndpoint: endpoints.dynamodb,
    service,
    stage,
    files,
    overrides,
  });
  return {
    stage,
    resources,
    queue: (logicalId) => queueOf(resources, logicalId),
    table: (logicalId) => tableOf(resources, logicalId),
  };
}
