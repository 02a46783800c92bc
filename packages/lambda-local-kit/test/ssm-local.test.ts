import {
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
} from '@aws-sdk/client-ssm';
import { describe, expect, test } from 'vitest';
import { clientsFor, startSsmLocal } from '../src/index.ts';
import { useLocalStack } from './helpers/local-stack.ts';

const { endpoints, clients } = useLocalStack();

describe('SSM stand-in through @aws-sdk/client-ssm', () => {
  const name = `/kit/test/${Math.random().toString(36).slice(2)}/api-token`;

  test('round-trips a SecureString, hidden unless decrypted', async () => {
    await clients.ssm.send(new PutParameterCommand({ Name: name, Value: 's3cret-token', Type: 'SecureString' }));
    const decrypted = await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    expect(decrypted.Parameter).toMatchObject({ Name: name, Type: 'SecureString', Value: 's3cret-token', Version: 1 });
    expect(decrypted.Parameter?.LastModifiedDate).toBeInstanceOf(Date);

    const encrypted = await clients.ssm.send(new GetParameterCommand({ Name: name }));
    expect(encrypted.Parameter?.Value).not.toContain('s3cret-token');
  });

  test('throws ParameterNotFound for a missing parameter', async () => {
    const missing = clients.ssm.send(new GetParameterCommand({ Name: '/kit/test/does-not-exist' }));
    await expect(missing).rejects.toBeInstanceOf(ParameterNotFound);
    await expect(missing).rejects.toMatchObject({ name: 'ParameterNotFound', $metadata: { httpStatusCode: 400 } });
  });

  test('refuses to overwrite without Overwrite, and versions overwrites', async () => {
    const key = `${name}-versions`;
    await clients.ssm.send(new PutParameterCommand({ Name: key, Value: 'one', Type: 'String' }));
    await expect(clients.ssm.send(new PutParameterCommand({ Name: key, Value: 'two', Type: 'String' }))).rejects.toBeInstanceOf(
      ParameterAlreadyExists,
    );
    const { Version } = await clients.ssm.send(new PutParameterCommand({ Name: key, Value: 'two', Type: 'String', Overwrite: true }));
    expect(Version).toBe(2);
  });

  test('GetParameters and GetParametersByPath', async () => {
    const prefix = `/kit/test/${Math.random().toString(36).slice(2)}`;
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
