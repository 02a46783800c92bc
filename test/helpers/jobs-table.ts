import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { recipientOfJobKey } from '../../lib/adapters/job-item.ts';
import type { JobRecord } from '../../lib/adapters/job-store.ts';

/** Every job item of a (small, local) jobs table, strongly consistent: the tests' ground truth, with each recipient (the key's second part) as the job store gives it. */
export async function scanJobs(documents: DynamoDBDocumentClient, tableName: string): Promise<JobRecord[]> {
  const items: JobRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
    items.push(...((page.Items ?? []) as JobRecord[]).map((item) => ({ ...item, recipient: recipientOfJobKey(item.jobKey) })));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
