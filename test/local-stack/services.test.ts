import { readFile } from 'node:fs/promises';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { clientsFor, connectLocalStack, startDynamoDbLocal, startSsmLocal } from '../../local/stack/index.ts';
import { useLocalStack } from '../helpers/local-stack.ts';

const { endpoints, clients } = useLocalStack();

const portOf = (endpoint: string) => Number(new URL(endpoint).port);

/** Local addresses of the TCP sockets listening on `port`, read from the kernel's tables. */
async function listeningAddresses(port: number): Promise<string[]> {
  const addresses: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const rows = (await readFile(table, 'utf8').catch(() => '')).trim().split('\n').slice(1);
    for (const row of rows) {
      const [, local, , state] = row.trim().split(/\s+/);
      const [hexAddress, hexPort] = (local ?? '').split(':');
      if (state === '0A' /* LISTEN */ && hexPort && parseInt(hexPort, 16) === port) addresses.push(decodeAddress(hexAddress ?? ''));
    }
  }
  return addresses;
}

/** /proc/net/tcp* print addresses as little-endian 32-bit words. */
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((word) => (word.match(/../g) ?? []).reverse().map((byte) => parseInt(byte, 16)));
  if (bytes.length === 4) return bytes.join('.');
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return `::ffff:${bytes.slice(12).join('.')}`;
  return bytes.every((b) => b === 0) ? '::' : hex;
}

describe('services listen on loopback only', () => {
  test.each(['sqs', 'dynamodb', 'ssm'] as const)('%s', async (service) => {
    const addresses = await listeningAddresses(portOf(endpoints[service]));
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(['127.0.0.1', '::ffff:127.0.0.1']).toContain(address);
  });
});

describe('DynamoDB Local', () => {
  test('answers through the shared clients', async () => {
    await expect(clients.dynamodb.send(new ListTablesCommand({}))).resolves.toHaveProperty('TableNames');
  });

  test('a second instance starts quickly and stop() releases its port', async () => {
    const started = Date.now();
    const dynamo = await startDynamoDbLocal();
    expect(Date.now() - started).toBeLessThan(10_000);
    const port = portOf(dynamo.endpoint);
    const addresses = await listeningAddresses(port);
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(['127.0.0.1', '::ffff:127.0.0.1']).toContain(address);
    await dynamo.stop();
    expect(await listeningAddresses(port)).toEqual([]);
  });
});

describe('SSM stand-in through @aws-sdk/client-ssm', () => {
  const name = `/wa/test/${Math.random().toString(36).slice(2)}/meta-token`;

  test('round-trips a SecureString, hidden unless decrypted', async () => {
    await clients.ssm.send(new PutParameterCommand({ Name: name, Value: 'EAAG-secret', Type: 'SecureString' }));
    const decrypted = await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    expect(decrypted.Parameter).toMatchObject({ Name: name, Type: 'SecureString', Value: 'EAAG-secret', Version: 1 });
    expect(decrypted.Parameter?.LastModifiedDate).toBeInstanceOf(Date);

    const encrypted = await clients.ssm.send(new GetParameterCommand({ Name: name }));
    expect(encrypted.Parameter?.Value).not.toContain('EAAG-secret');
  });

  test('throws ParameterNotFound for a missing parameter', async () => {
    const missing = clients.ssm.send(new GetParameterCommand({ Name: '/wa/test/does-not-exist' }));
    await expect(missing).rejects.toBeInstanceOf(ParameterNotFound);
    await expect(missing).rejects.toMatchObject({ name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
  });

  test('refuses to overwrite without Overwrite, and versions overwrites', async () => {
    const key = `${name}-versions`;
    await clients.ssm.send(new PutParameterCommand({ Name: key, Value: 'one', Type: 'String' }));
    await expect(clients.ssm.send(new PutParameterCommand({ Name: key, Value: 'two', Type: 'String' }))).rejects.toBeInstanceOf(ParameterAlreadyExists);
    const { Version } = await clients.ssm.send(new PutParameterCommand({ Name: key, Value: 'two', Type: 'String', Overwrite: true }));
    expect(Version).toBe(2);
  });

  test('GetParameters and GetParametersByPath', async () => {
    const prefix = `/wa/test/${Math.random().toString(36).slice(2)}`;
    await clients.ssm.send(new PutParameterCommand({ Name: `${prefix}/a`, Value: 'A', Type: 'String' }));
    await clients.ssm.send(new PutParameterCommand({ Name: `${prefix}/nested/b`, Value: 'B', Type: 'String' }));

    const both = await clients.ssm.send(new GetParametersCommand({ Names: [`${prefix}/a`, `${prefix}/missing`] }));
    expect(both.Parameters?.map((p) => p.Value)).toEqual(['A']);
    expect(both.InvalidParameters).toEqual([`${prefix}/missing`]);

    const shallow = await clients.ssm.send(new GetParametersByPathCommand({ Path: prefix }));
    expect(shallow.Parameters?.map((p) => p.Name)).toEqual([`${prefix}/a`]);
    const deep = await clients.ssm.send(new GetParametersByPathCommand({ Path: prefix, Recursive: true }));
    expect(deep.Parameters?.map((p) => p.Name).sort()).toEqual([`${prefix}/a`, `${prefix}/nested/b`]);
  });

  test('putParameter() on a stand-in is visible through the SDK', async () => {
    const ssm = await startSsmLocal();
    try {
      ssm.putParameter('/direct', 'value', true);
      const client = clientsFor({ ...endpoints, ssm: ssm.endpoint });
      const { Parameter } = await client.ssm.send(new GetParameterCommand({ Name: '/direct', WithDecryption: true }));
      expect(Parameter?.Value).toBe('value');
      client.destroy();
    } finally {
      await ssm.stop();
    }
  });
});

describe('connectLocalStack()', () => {
  test('reads the endpoints the global setup exported', () => {
    expect(connectLocalStack().endpoints).toEqual(endpoints);
  });

  test('names the missing variables', () => {
    expect(() => connectLocalStack({})).toThrow(/LOCAL_SQS_ENDPOINT, LOCAL_DYNAMODB_ENDPOINT, LOCAL_SSM_ENDPOINT not set/);
  });
});
