import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, type DynamoDBDocumentClient, type UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/** A conditional write: true when it was made, false when its condition refused it. */
export async function writeIfAllowed(doc: DynamoDBDocumentClient, command: UpdateCommand): Promise<boolean> {
  try {
    await doc.send(command);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

/**
 * The item a refused conditional write returned (`ReturnValuesOnConditionCheckFailure:
 * ALL_OLD`). The document client does not unmarshall an exception's item, so it comes in
 * DynamoDB's wire format ({ N: "…" }); undefined when there was none.
 */
export function refusedItem<T>(error: Pick<ConditionalCheckFailedException, 'Item'>): T | undefined {
  if (!error.Item) return undefined;
  const first = Object.values(error.Item)[0] as unknown;
  const isWireFormat = typeof first === 'object' && first !== null && ['S', 'N', 'BOOL', 'M', 'L', 'NULL'].some((k) => k in first);
  return (isWireFormat ? unmarshall(error.Item as never) : error.Item) as T;
}

/**
 * Reads items by key, 100 per BatchGetItem, asking again for the keys DynamoDB left
 * unprocessed (with a short backoff) until none are left, or fails after 6 attempts.
 */
export async function batchGetAll<T>(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: ReadonlyArray<Record<string, unknown>>,
  read: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string>; ConsistentRead?: boolean } = {},
): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < keys.length; i += 100) {
    let pending: Array<Record<string, unknown>> | undefined = keys.slice(i, i + 100);
    for (let attempt = 0; pending && pending.length > 0; attempt++) {
      if (attempt > 5) throw new Error(`${table}: ${pending.length} keys left unprocessed`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const result = await doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ...read } } }));
      found.push(...((result.Responses?.[table] ?? []) as T[]));
      pending = result.UnprocessedKeys?.[table]?.Keys as Array<Record<string, unknown>> | undefined;
    }
  }
  return found;
}
