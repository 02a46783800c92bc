import { randomBytes } from 'node:crypto';
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
} from 'lambda-local-kit';
import { afterAll, inject } from 'vitest';
import { RESOURCE_FILES } from '../../local/serverless-config.ts';

/** The `${self:service}` value tests create resources under. */
export const TEST_SERVICE = 'wa-marketing-sender';

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
 * Creates the project's queues and tables (from `infra/*.yml`) under a fresh stage, so no two
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
    files: RESOURCE_FILES,
    overrides,
  });
  return {
    stage,
    resources,
    queue: (logicalId) => queueOf(resources, logicalId),
    table: (logicalId) => tableOf(resources, logicalId),
  };
}
