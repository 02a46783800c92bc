import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * What the operator commands share: a command line read with node:util's parseArgs, where an
 * unknown option is one line and the usage (exit code 2), never a stack trace.
 */
export function parseCommandLine<T>(parse: () => T, usage: string): T | undefined {
  try {
    return parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return undefined;
  }
}

/** A DynamoDB document client, on a local stand-in's endpoint when one is given. */
export function documentClient(endpoint: string | undefined): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(endpoint ? { endpoint } : {}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** The options of the commands that read the jobs table and the campaign counters. */
export const TABLE_OPTIONS = {
  'jobs-table': { type: 'string' },
  'campaigns-table': { type: 'string' },
} as const;
