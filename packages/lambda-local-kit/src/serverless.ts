import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative, resolve as resolvePath } from 'node:path';
import { parse } from 'yaml';
import type { LocalResources } from './resources.ts';

/** The parts of a serverless.yml the kit reads. */
export interface ServerlessFile {
  service: string;
  params?: { default?: Record<string, unknown> };
  provider?: { environment?: Record<string, unknown>; timeout?: number; memorySize?: number; logs?: { lambda?: Record<string, unknown> } };
  functions: Record<string, ServerlessFunction>;
}

/** One entry of a serverless.yml's `functions`. */
export interface ServerlessFunction {
  timeout?: number;
  memorySize?: number;
  logs?: Record<string, unknown>;
  environment?: Record<string, unknown>;
  events?: Array<{ sqs?: ServerlessSqsEvent }>;
}

/** An `sqs` event of a serverless.yml function: its event source mapping. */
export interface ServerlessSqsEvent {
  arn: unknown;
  batchSize?: number;
  maximumBatchingWindow?: number;
  maximumConcurrency?: unknown;
  functionResponseType?: string;
}

/** What running a function locally needs, every value resolved. */
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
    /** The local event source needs one: 2 when serverless.yml sets none. */
    maximumConcurrency: number;
    reportBatchItemFailures: boolean;
  };
}

/** Options for {@link resolveFunctionSettings}. */
export interface FunctionSettingsOptions {
  /** Path of the serverless.yml (absolute, or relative to the working directory). */
  serverlessFile: string;
  functionName: string;
  /** The resources `Ref` values resolve against, as {@link createResources} returned them. */
  resources: LocalResources;
  /** Value of `${sls:stage}`. */
  stage: string;
}

/** Lambda's default when a function sets no timeout, as the Serverless Framework deploys it. */
const DEFAULT_TIMEOUT_SECONDS = 6;

/** Parses a serverless.yml as it is written (variables unresolved). */
export function readServerlessFile(path: string): ServerlessFile {
  return parse(readFileSync(resolvePath(path), 'utf8')) as ServerlessFile;
}

/**
 * A function's settings from serverless.yml, every value resolved against the local resources, so
 * the local run and the deployment cannot drift apart: the environment (provider's, then the
 * function's), the timeout and its SQS event source settings. `Ref` to a queue gives its URL, to
 * a table its name; `${param:x}` (from `params.default`), `${self:service}`, `${sls:stage}` and
 * `${file(x.cjs):name}` are substituted; anything else unresolvable is an error naming the variable.
 *
 * @example
 * const send = await resolveFunctionSettings({ serverlessFile: 'serverless.yml', functionName: 'send', resources, stage: 'local' });
 * startEventSource({ sqs, ...queueOf(resources, send.sqs!.queue), handler, functionTimeoutMs: send.timeoutMs, ...send.sqs });
 */
export async function resolveFunctionSettings(options: FunctionSettingsOptions): Promise<LocalFunctionSettings> {
  const { functionName: name } = options;
  const file = readServerlessFile(options.serverlessFile);
  const fn = file.functions[name];
  if (!fn) throw new Error(`${displayPath(options.serverlessFile)} has no function ${name}`);
  const resolve = resolver(file, options);
  const sqsEvent = fn.events?.find((event) => event.sqs)?.sqs;
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...file.provider?.environment, ...fn.environment })) {
    environment[key] = await resolve(value, `${name}.environment.${key}`);
  }
  return {
    name,
    timeoutMs: (fn.timeout ?? file.provider?.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
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

/** Resolves one serverless.yml value: a string with variables, a scalar, or a `Ref`. */
function resolver(file: ServerlessFile, options: FunctionSettingsOptions): (value: unknown, where: string) => Promise<string> {
  const { resources, stage, serverlessFile } = options;
  // `${file(x.cjs):name}` paths are relative to the serverless.yml, as the Serverless Framework reads them.
  const requireNextToFile = createRequire(resolvePath(serverlessFile));
  const params = file.params?.default ?? {};
  const service = String(file.service);
  const fail = (where: string, problem: string) => new Error(`${displayPath(serverlessFile)} ${where}: ${problem}`);
  const resolveVariable = async (variable: string, where: string): Promise<string> => {
    if (variable === 'self:service') return service;
    if (variable === 'sls:stage') return stage;
    if (variable.startsWith('param:')) {
      const value = params[variable.slice('param:'.length)];
      if (value !== undefined) return substitute(String(value), where);
    }
    // ${file(x.cjs):name}: a JS file whose export is a value or (as Serverless calls it) an async function.
    const fileVariable = /^file\((.+)\):(\w+)$/.exec(variable);
    if (fileVariable?.[1]?.endsWith('.cjs')) {
      const exported = (requireNextToFile(`./${fileVariable[1]}`) as Record<string, unknown>)[fileVariable[2]!];
      const value =
        typeof exported === 'function' ? await exported({ resolveVariable: (inner: string) => resolveVariable(inner, where) }) : exported;
      if (value !== undefined) return String(value);
    }
    throw fail(where, `cannot resolve \${${variable}} locally`);
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
  return async (value, where) => {
    if (typeof value === 'string') return substitute(value, where);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const ref = (value as { Ref?: string } | null)?.Ref;
    if (ref) {
      const resource = resources[ref];
      if (!resource) throw fail(where, `Ref ${ref} is not a local resource`);
      return resource.type === 'queue' ? resource.url : resource.name;
    }
    throw fail(where, `unsupported value ${JSON.stringify(value)}`);
  };
}

/** A path as error messages show it: relative to the working directory when inside it. */
function displayPath(path: string): string {
  const shown = relative(process.cwd(), resolvePath(path));
  return shown.startsWith('..') ? resolvePath(path) : shown;
}
