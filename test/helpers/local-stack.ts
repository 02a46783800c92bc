import { createTestResources as createResourcesFor, type TestResources } from 'lambda-local-kit/vitest';
import { RESOURCE_FILES } from '../../local/serverless-config.ts';

export { type TestLocalStack, type TestResources, useLocalStack } from 'lambda-local-kit/vitest';

/** The `${self:service}` value tests create resources under. */
export const TEST_SERVICE = 'wa-marketing-sender';

/**
 * Creates the project's queues and tables (from `infra/*.yml`) under a fresh stage, so no two
 * calls share a name. `overrides` change properties per logical id, e.g.
 * `{ SendQueue: { VisibilityTimeout: 1, RedrivePolicy: { maxReceiveCount: 2 } } }`.
 */
export function createTestResources(overrides?: Record<string, Record<string, unknown>>): Promise<TestResources> {
  return createResourcesFor({ service: TEST_SERVICE, files: RESOURCE_FILES, overrides });
}
