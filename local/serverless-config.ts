import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { REPO_ROOT } from './stack/index.ts';
import type { LocalResources } from './stack/index.ts';

/**
 * Reads what the local run needs from serverless.yml itself (function environments, timeouts,
 * event source settings), so the local run and the deployment cannot drift apart.
 */
interface ServerlessFile {
  service: string;
  params?: { default?: Record<string, unknown> };
  provider?: { environment?: Record<string, unknown>; timeout?: number; memorySize?: number; logs?: { lambda?: Record<string, unknown> } };
  functions: Record<string, ServerlessFunction>;
}

interface ServerlessFunction {
  timeout?: number;
  memorySize?: number;
  logs?: Record<string, unknown>;
  environment?: Record<string, unknown>;
  events?: Array<{ sqs?: { arn: unknown; batchSize?: number; maximumBatchingWindow?: number; maximumConcurrency?: unknown; functionResponseType?: string } }>;
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
    /** Seconds; 0 when serverless.yml sets none (as on AWS). */
    maximumBatchingWindowSeconds: number;
    maximumConcurrency: number;
    reportBatchItemFailures: boolean;
  };
}

const SERVICE_FILE = `${REPO_ROOT}serverless.yml`;
const requireFromRoot = createRequire(SERVICE_FILE);

export function readServerlessFile(): ServerlessFile {
  return parse(readFileSync(SERVICE_FILE, 'utf8')) as ServerlessFile;
}

/** The service name and param defaults, for resolving `${self:service}` and `${param:x}`. */
export function serviceName(): string {
  return String(readServerlessFile().service);
}

/**
 * A function's settings with every value resolved against the local resources:
 * `Ref` to a queue gives its URL, to a table its name; `${param:x}`, `${self:service}` and
 * `${sls:stage}` are substituted; anything else unresolvable is an error naming the variable.
 */
export async function localFunctionSettings(name: string, resources: LocalResources, stage: string): Promise<LocalFunctionSettings> {
  const file = readServerlessFile();
  const fn = file.functions[name];
  if (!fn) throw new Error(`serverless.yml has no function ${name}`);
  const resolve = resolver(file, resources, stage);
  const sqsEvent = fn.events?.find((event) => event.sqs)?.sqs;
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...file.provider?.environment, ...fn.environment })) {
    environment[key] = await resolve(value, `${name}.environment.${key}`);
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
            maximumBatchingWindowSeconds: sqsEvent.maximumBatchingWindow ?? 0,
            maximumConcurrency: Number(await resolve(sqsEvent.maximumConcurrency ?? 2, `${name}.maximumConcurrency`)),
            reportBatchItemFailures: sqsEvent.functionResponseType === 'ReportBatchItemFailures',
          },
        }
      : {}),
  };
}

function resolver(file: ServerlessFile, resources: LocalResources, stage: string) {
  const params = file.params?.default ?? {};
  const service = String(file.service);
  const resolveVariable = async (variable: string, where: string): Promise<string> => {
    if (variable === 'self:service') return service;
    if (variable === 'sls:stage') return stage;
    if (variable.startsWith('param:')) {
      const value = params[variable.slice('param:'.length)];
      if (value !== undefined) return substitute(String(value), where);
    }
    // ${file(x.cjs):name}: a JS file whose export is a value or (as Serverless calls it) an async function.
    const fileVariable = /^file\((.+)\):(\w+)$/.exec(variable);
    if (fileVariable && fileVariable[1]!.endsWith('.cjs')) {
      const exported = (requireFromRoot(`./${fileVariable[1]}`) as Record<string, unknown>)[fileVariable[2]!];
      const value = typeof exported === 'function' ? await exported({ resolveVariable: (inner: string) => resolveVariable(inner, where) }) : exported;
      if (value !== undefined) return String(value);
    }
    throw new Error(`serverless.yml ${where}: cannot resolve \${${variable}} locally`);
  };
  const substitute = async (text: string, where: string): Promise<string> => {
    let result = '';
    let last = 0;
    for (const match of text.matchAll(/\$\{([^}]+)\}/g)) {
      result += text.slice(last, match.index) + (await resolveVariable(match[1]!, where));
      last = match.index + match[0].length;
    }
    return result + text.slice(last);
  };
  return async (value: unknown, where: string): Promise<string> => {
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
