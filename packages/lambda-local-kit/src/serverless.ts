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
  events?: Array<{ sqs?: ServerlessSqsEvent; stream?: ServerlessStreamEvent }>;
}

/** An `sqs` event of a serverless.yml function: its event source mapping. */
export interface ServerlessSqsEvent {
  arn: unknown;
  batchSize?: unknown;
  maximumBatchingWindow?: number;
  maximumConcurrency?: unknown;
  functionResponseType?: string;
}

/** A `stream` event of a serverless.yml function (a DynamoDB stream), as the Serverless Framework (osls) names its settings. */
export interface ServerlessStreamEvent {
  type?: string;
  arn: unknown;
  batchSize?: unknown;
  batchWindow?: unknown;
  startingPosition?: string;
  maximumRetryAttempts?: unknown;
  bisectBatchOnFunctionError?: boolean;
  parallelizationFactor?: unknown;
  functionResponseType?: string;
  filterPatterns?: Array<Record<string, unknown>>;
  destinations?: { onFailure?: { arn?: unknown; type?: string } };
}

/** A function's DynamoDB stream event source, every value resolved, with AWS's defaults. */
export interface LocalStreamSettings {
  /** The logical id of the table whose stream it reads. */
  table: string;
  batchSize: number;
  /** Seconds (serverless.yml's `batchWindow`); 0 when unset, as on AWS. */
  maximumBatchingWindowSeconds: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** -1 (until the records expire) when unset, as on AWS. */
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  reportBatchItemFailures: boolean;
  filterPatterns?: Array<Record<string, unknown>>;
  /** The logical id of the SQS queue its on-failure destination names. */
  onFailureQueue?: string;
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
  /** Its DynamoDB stream event source, if it has one. */
  stream?: LocalStreamSettings;
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
  /** Stage parameters, over the file's `params.default` (as `osls deploy --param name=value`). */
  params?: Record<string, string>;
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
  const streamEvent = fn.events?.find((event) => event.stream)?.stream;
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
            batchSize: Number(await resolve(sqsEvent.batchSize ?? 10, `${name}.batchSize`)),
            maximumBatchingWindowSeconds: sqsEvent.maximumBatchingWindow ?? 0,
            maximumConcurrency: Number(await resolve(sqsEvent.maximumConcurrency ?? 2, `${name}.maximumConcurrency`)),
            reportBatchItemFailures: sqsEvent.functionResponseType === 'ReportBatchItemFailures',
          },
        }
      : {}),
    ...(streamEvent ? { stream: await streamSettings(streamEvent, name, resolve) } : {}),
  };
}

/** The logical id a `{ "Fn::GetAtt": [id, attribute] }` names, if it names that attribute. */
function getAttOf(value: unknown, attribute: string): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === attribute ? getAtt[0] : undefined;
}

async function streamSettings(
  event: ServerlessStreamEvent,
  name: string,
  resolve: (value: unknown, where: string) => Promise<string>,
): Promise<LocalStreamSettings> {
  if (event.type !== 'dynamodb')
    throw new Error(`function ${name}: stream event of type ${event.type ?? '(none)'}; the kit runs type dynamodb only`);
  const table = getAttOf(event.arn, 'StreamArn');
  if (!table)
    throw new Error(`function ${name}: stream arn must be { "Fn::GetAtt": [<table>, StreamArn] }, got ${JSON.stringify(event.arn)}`);
  const number = async (value: unknown, fallback: number, setting: string) =>
    value === undefined ? fallback : Number(await resolve(value, `${name}.stream.${setting}`));
  const startingPosition = event.startingPosition ?? 'TRIM_HORIZON';
  if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST')
    throw new Error(`function ${name}: stream startingPosition ${startingPosition}; the kit runs TRIM_HORIZON or LATEST`);
  const onFailure = event.destinations?.onFailure;
  const onFailureQueue = onFailure ? getAttOf(onFailure.arn, 'Arn') : undefined;
  if (onFailure && (!onFailureQueue || (onFailure.type ?? 'sqs') !== 'sqs'))
    throw new Error(`function ${name}: stream onFailure must be an SQS queue's { "Fn::GetAtt": [<queue>, Arn] } with type sqs`);
  return {
    table,
    batchSize: await number(event.batchSize, 100, 'batchSize'),
    maximumBatchingWindowSeconds: await number(event.batchWindow, 0, 'batchWindow'),
    startingPosition,
    maximumRetryAttempts: await number(event.maximumRetryAttempts, -1, 'maximumRetryAttempts'),
    bisectBatchOnFunctionError: event.bisectBatchOnFunctionError ?? false,
    reportBatchItemFailures: event.functionResponseType === 'ReportBatchItemFailures',
    ...(event.filterPatterns ? { filterPatterns: event.filterPatterns } : {}),
    ...(onFailureQueue ? { onFailureQueue } : {}),
  };
}

/** Resolves one serverless.yml value: a string with variables, a scalar, or a `Ref`. */
function resolver(file: ServerlessFile, options: FunctionSettingsOptions): (value: unknown, where: string) => Promise<string> {
  const { resources, stage, serverlessFile } = options;
  // `${file(x.cjs):name}` paths are relative to the serverless.yml, as the Serverless Framework reads them.
  const requireNextToFile = createRequire(resolvePath(serverlessFile));
  const params = { ...file.params?.default, ...options.params };
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
