import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, inject } from 'vitest';
import {
  clientsFor,
  createResources,
  type LocalClients,
  type LocalEndpoints,
  type LocalQueue,
  type LocalResources,
  type LocalTable,
  queueOf,
  tableOf,
} from '../../src/index.ts';

/** The `${self:service}` value tests create resources under. */
export const TEST_SERVICE = 'local-kit-test';

/** The example service's CloudFormation files the tests create resources from. */
export const FIXTURE_FILES: readonly string[] = ['queues.yml', 'tables.yml'].map((file) =>
  fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)),
);

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

/**
 * Creates the fixture queues and tables (`test/fixtures/*.yml`) under a fresh stage, so no two
 * calls share a name. `overrides` change properties per logical id, e.g.
 * `{ SendQueue: { VisibilityTimeout: 1, RedrivePolicy: { maxReceiveCount: 2 } } }`.
 */
export async function createTestResources(overrides?: Record<string, Record<string, unknown>>): Promise<TestResources> {
  const endpoints = inject('localStackEndpoints');
  const stage = `t${randomBytes(5).toString('hex')}`;
  const resources = await createResources({
    sqsEndpoint: endpoints.sqs,
    dynamoEndpoint: endpoints.dynamodb,
    service: TEST_SERVICE,
    stage,
    files: FIXTURE_FILES,
    overrides,
  });
  return {
    stage,
    resources,
    queue: (logicalId) => queueOf(resources, logicalId),
    table: (logicalId) => tableOf(resources, logicalId),
  };
}
