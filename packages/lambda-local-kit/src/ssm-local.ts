import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOCAL_REGION, LOOPBACK_HOST, type LocalService } from './local-aws.ts';

const ACCOUNT_ID = '000000000000';
const JSON_11 = 'application/x-amz-json-1.1';
const MAX_BODY_BYTES = 1024 * 1024;

/** A running SSM Parameter Store stand-in. */
export interface SsmLocal extends LocalService {
  /** Stores a parameter directly (no HTTP round trip), overwriting any previous value. */
  putParameter(name: string, value: string, secure?: boolean): void;
}

/** Options for {@link startSsmLocal}. */
export interface SsmLocalOptions {
  /** Port on 127.0.0.1; by default the kernel picks a free one. */
  port?: number;
}

interface StoredParameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModified: Date;
}

/** An SSM error as the AWS JSON 1.1 protocol carries it: the SDK maps `__type` to its exception class. */
class SsmError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}

/**
 * Starts an in-memory stand-in for SSM Parameter Store on 127.0.0.1, so code under test reads its
 * secrets through the real `@aws-sdk/client-ssm` code path. Speaks the AWS JSON 1.1 protocol for
 * GetParameter, GetParameters, GetParametersByPath, PutParameter and DeleteParameter. As on AWS,
 * a SecureString read without `WithDecryption` returns an opaque ciphertext, not the value.
 *
 * @example
 * const ssm = await startSsmLocal();
 * ssm.putParameter('/orders/dev/api-token', 'secret', true);
 * const client = new SSMClient({ endpoint: ssm.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
 */
export async function startSsmLocal(options: SsmLocalOptions = {}): Promise<SsmLocal> {
  const parameters = new Map<string, StoredParameter>();
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    GetParameter: (input) => ({ Parameter: describe(find(parameters, requireString(input, 'Name')), input.WithDecryption === true) }),
    GetParameters: (input) => getParameters(parameters, input),
    GetParametersByPath: (input) => getParametersByPath(parameters, input),
    PutParameter: (input) => putParameter(parameters, input),
    DeleteParameter: (input) => {
      const name = requireString(input, 'Name');
      if (!parameters.delete(name)) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
      return {};
    },
  };

  const server = createServer((request, response) => {
    handle(request, response, operations).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else respond(response, 500, { __type: 'InternalServerError', message: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK_HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${LOOPBACK_HOST}:${port}`,
    putParameter(name, value, secure = false) {
      putParameter(parameters, { Name: name, Value: value, Type: secure ? 'SecureString' : 'String', Overwrite: true });
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
      })),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  operations: Record<string, (input: Record<string, unknown>) => unknown>,
): Promise<void> {
  const target = request.headers['x-amz-target'];
  const operation =
    typeof target === 'string' && target.startsWith('AmazonSSM.') ? operations[target.slice('AmazonSSM.'.length)] : undefined;
  if (request.method !== 'POST' || !operation) {
    return respond(response, 400, { __type: 'UnknownOperationException', message: `Unsupported operation ${String(target)}` });
  }
  let input: unknown;
  try {
    const body = await readBody(request);
    input = body.length === 0 ? {} : JSON.parse(body);
  } catch {
    return respond(response, 400, { __type: 'SerializationException', message: 'Request body is not valid JSON' });
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return respond(response, 400, { __type: 'SerializationException', message: 'Request body must be a JSON object' });
  }
  try {
    respond(response, 200, operation(input as Record<string, unknown>));
  } catch (error) {
    if (!(error instanceof SsmError)) throw error;
    respond(response, 400, { __type: error.type, message: error.message });
  }
}

function getParameters(parameters: Map<string, StoredParameter>, input: Record<string, unknown>) {
  const names = input.Names;
  if (!Array.isArray(names) || names.length === 0 || names.length > 10 || !names.every((n) => typeof n === 'string')) {
    throw new SsmError('ValidationException', 'Names must list 1 to 10 parameter names.');
  }
  const found = names.flatMap((name) => {
    const parameter = parameters.get(name);
    return parameter ? [describe(parameter, input.WithDecryption === true)] : [];
  });
  return { Parameters: found, InvalidParameters: names.filter((name) => !parameters.has(name)) };
}

/** No pagination: a local store never holds enough parameters to need it. */
function getParametersByPath(parameters: Map<string, StoredParameter>, input: Record<string, unknown>) {
  const path = requireString(input, 'Path');
  const prefix = path.endsWith('/') ? path : `${path}/`;
  const matches = [...parameters.values()].filter(
    (parameter) => parameter.name.startsWith(prefix) && (input.Recursive === true || !parameter.name.slice(prefix.length).includes('/')),
  );
  return { Parameters: matches.map((parameter) => describe(parameter, input.WithDecryption === true)) };
}

function putParameter(parameters: Map<string, StoredParameter>, input: Record<string, unknown>) {
  const name = requireString(input, 'Name');
  const value = requireString(input, 'Value');
  const type = input.Type ?? 'String';
  if (type !== 'String' && type !== 'StringList' && type !== 'SecureString') {
    throw new SsmError('ValidationException', `Invalid Type ${String(type)}.`);
  }
  const existing = parameters.get(name);
  if (existing && input.Overwrite !== true) {
    throw new SsmError(
      'ParameterAlreadyExists',
      'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.',
    );
  }
  const version = (existing?.version ?? 0) + 1;
  parameters.set(name, { name, type, value, version, lastModified: new Date() });
  return { Version: version, Tier: 'Standard' };
}

function find(parameters: Map<string, StoredParameter>, name: string): StoredParameter {
  const parameter = parameters.get(name);
  if (!parameter) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
  return parameter;
}

function describe(parameter: StoredParameter, withDecryption: boolean) {
  const hidden = parameter.type === 'SecureString' && !withDecryption;
  return {
    Name: parameter.name,
    Type: parameter.type,
    Value: hidden ? fakeCiphertext(parameter.value) : parameter.value,
    Version: parameter.version,
    // JSON 1.1 carries timestamps as epoch seconds.
    LastModifiedDate: parameter.lastModified.getTime() / 1000,
    ARN: `arn:aws:ssm:${LOCAL_REGION}:${ACCOUNT_ID}:parameter${parameter.name.startsWith('/') ? '' : '/'}${parameter.name}`,
    DataType: 'text',
  };
}

/** Stands in for KMS ciphertext so code that forgets `WithDecryption` gets garbage, as on AWS. */
function fakeCiphertext(value: string): string {
  return `AQICAH${createHash('sha256').update(value).digest('base64')}`;
}

function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new SsmError('ValidationException', `${key} must be a non-empty string.`);
  }
  return value;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('Request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function respond(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': JSON_11,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(payload);
}
