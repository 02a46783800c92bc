import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, test } from 'vitest';
import { startDynamoDbLocal } from '../src/index.ts';
import { useLocalStack } from './helpers/local-stack.ts';
import { listeningAddresses, portOf } from './helpers/sockets.ts';

const { clients } = useLocalStack();

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
