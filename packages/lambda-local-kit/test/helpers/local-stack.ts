import { fileURLToPath } from 'node:url';
import { createTestResources as createResourcesFor, type TestResources } from '../../src/vitest.ts';

export { type TestLocalStack, type TestResources, useLocalStack } from '../../src/vitest.ts';

/** The `${self:service}` value tests create resources under. */
export const TEST_SERVICE = 'local-kit-test';

/** The example service's CloudFormation files the tests create resources from. */
export const FIXTURE_FILES: readonly string[] = ['queues.yml', 'tables.yml'].map((file) =>
  fileURLToPath(new URL(`../fixtures/${file}`, import.meta.url)),
);

/** The fixture queues and tables (`test/fixtures/*.yml`) under a fresh stage. */
export function createTestResources(overrides?: Record<string, Record<string, unknown>>): Promise<TestResources> {
  return createResourcesFor({ service: TEST_SERVICE, files: FIXTURE_FILES, overrides });
}
