import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { REPO_ROOT } from './stack/index.ts';
import type { LocalResources } from './stack/index.ts';

/**
 * Reads what the local run needs from serverless.yml itself (function environments, timeouts,
 * event source settings), so the local run and the deployment cannot drift apart.
 */
interface ServerlessFile {
  params?: { default?: Record<string, unknown> };
  provider?: { environment?: Record<string, unknown>; timeout?: number };
  functions: Record<string, ServerlessFunction>;
}

interface ServerlessFunction {
  timeout?: number;
  environment?: Record<string, unknown>;
  events?: Array<{ sqs?: { arn: unknown; batchSize?: number; maximumConcurrency?: unknown; functionResponseType?: string } }>;
}

export interface LocalFunctionSettings {
  name: string;
  timeoutMs: number;
  environment: Record<string, string>;
  /** Its SQS event source, if it has one. */
  sqs?: {
    /** The logical id of the queue it reads. */
    queue: string;
    batchSize: number;
    maximumConcurrency: number;
    reportBatchItemFailures: boolean;
  };
}

const SERVICE_FILE = `${REPO_ROOT}serverless.yml`;

export function readServerlessFile(): ServerlessFile {
  return parse(readFileSync(SERVICE_FILE, 'utf8')) as ServerlessFile;
}

/** The service name and param defaults, for resolving `${self:service}` and `${param:x}`. */
export function serviceName(): string {
  return String((parse(readFileSync(SERVICE_FILE, 'utf8')) as { service: string }).service);
}

/**
 * A function's settings with every value resolved against the local resources:
 * `Ref` to a queue gives its URL, to a table its name; `${param:x}`, `${self:service}` and
 * `${sls:stage}` are substituted; anything else unresolvable is an error naming the variable.
 */
export function localFunctionSettings(name: string, resources: LocalResources, stage: string): LocalFunctionSettings {
  const file = readServerlessFile();
  const fn = file.functions[name];
  if (!fn) throw new Error(`serverless.yml has no function ${name}`);
  const resolve = resolver(file, resources, stage);
  const sqsEvent = fn.events?.find((event) => event.sqs)?.sqs;
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...file.provider?.environment, ...fn.environment })) {
    environment[key] = resolve(value, `${name}.environment.${key}`);
  }
  return {
    name,
    timeoutMs: (fn.timeout ?? file.provider?.timeout ?? 6) * 1000,
    environment,
    ...(sqsEvent
      ? {
          sqs: {
            queue: (sqsEvent.arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
            batchSize: sqsEvent.batchSize ?? 10,
            maximumConcurrency: Number(resolve(sqsEvent.maximumConcurrency ?? 2, `${name}.maximumConcurrency`)),
            reportBatchItemFailures: sqsEvent.functionResponseType === 'ReportBatchItemFailures',
          },
        }
      : {}),
  };
}

function resolver(file: ServerlessFile, resources: LocalResources, stage: string) {
  const params = file.params?.default ?? {};
  const service = serviceName();
  const substitute = (text: string, where: string): string =>
    text.replace(/\$\{([^}]+)\}/g, (_match, variable: string) => {
      if (variable === 'self:service') return service;
      if (variable === 'sls:stage') return stage;
      if (variable.startsWith('param:')) {
        const value = params[variable.slice('param:'.length)];
        if (value !== undefined) return substitute(String(value), where);
      }
      throw new Error(`serverless.yml ${where}: cannot resolve \${${variable}} locally`);
    });
  return (value: unknown, where: string): string => {
    if (typeof value === 'string') return substitute(value, where);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const ref = (value as { Ref?: string } | null)?.Ref;
    if (ref) {
      const resource = resources[ref];
      if (!resource) throw new Error(`serverless.yml ${where}: Ref ${ref} is not a local resource`);
      return resource.type === 'queue' ? resource.url : resource.name;
    }
    throw new Error(`serverless.yml ${where}: unsupported value ${JSON.stringify(value)}`);
  };
}
