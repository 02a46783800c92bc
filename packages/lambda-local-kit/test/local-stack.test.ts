import { describe, expect, test } from 'vitest';
import { connectLocalStack } from '../src/index.ts';
import { useLocalStack } from './helpers/local-stack.ts';
import { listeningAddresses, portOf } from './helpers/sockets.ts';

const { endpoints } = useLocalStack();

describe('services listen on loopback only', () => {
  test.each(['sqs', 'dynamodb', 'ssm'] as const)('%s', async (service) => {
    const addresses = await listeningAddresses(portOf(endpoints[service]));
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(['127.0.0.1', '::ffff:127.0.0.1']).toContain(address);
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
