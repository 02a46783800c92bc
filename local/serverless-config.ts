import { fileURLToPath } from 'node:url';
import {
  createResources,
  type LocalEndpoints,
  type LocalFunctionSettings,
  type LocalResources,
  readServerlessFile as readServerlessFileAt,
  resolveFunctionSettings,
  type ServerlessFile,
} from 'lambda-local-kit';

export type { LocalFunctionSettings };

/**
 * This service's serverless.yml: the local run reads function environments, timeouts and event
 * source settings from it, so the local run and the deployment cannot drift apart.
 */
export const SERVERLESS_FILE = fileURLToPath(new URL('../serverless.yml', import.meta.url));

/** The CloudFormation files serverless.yml deploys its queues and tables from; the local stack creates the same. */
export const RESOURCE_FILES: readonly string[] = ['infra/queues.yml', 'infra/tables.yml'].map((file) =>
  fileURLToPath(new URL(`../${file}`, import.meta.url)),
);

/** This service's serverless.yml, variables unresolved. */
export function readServerlessFile(): ServerlessFile {
  return readServerlessFileAt(SERVERLESS_FILE);
}

/** The service name, the value of `${self:service}`. */
export function serviceName(): string {
  return String(readServerlessFile().service);
}

/** A function's settings from serverless.yml, resolved against the local resources (see `resolveFunctionSettings`). */
export function localFunctionSettings(
  name: string,
  resources: LocalResources,
  stage: string,
  params?: Record<string, string>,
): Promise<LocalFunctionSettings> {
  return resolveFunctionSettings({ serverlessFile: SERVERLESS_FILE, functionName: name, resources, stage, ...(params ? { params } : {}) });
}

/** This service's queues and tables for `stage` on the local stack, from the files serverless.yml deploys. */
export function createServiceResources(input: {
  endpoints: Pick<LocalEndpoints, 'sqs' | 'dynamodb'>;
  stage: string;
  /** Property changes per logical id, e.g. a short VisibilityTimeout for tests. */
  overrides?: Record<string, Record<string, unknown>>;
}) {
  return createResources({
    sqsEndpoint: input.endpoints.sqs,
    dynamoEndpoint: input.endpoints.dynamodb,
    service: serviceName(),
    stage: input.stage,
    files: RESOURCE_FILES,
    ...(input.overrides ? { overrides: input.overrides } : {}),
  });
}
