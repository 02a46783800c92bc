import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ALIAS_PREFIX, type JobRecord, jobKeyOf } from '../../lib/jobs/job-record.ts';

/** Every job item of a (small, local) jobs table, strongly consistent: the tests' ground truth, with each job key as the job store gives it (wa_id alias items left out). */
export async function scanJobs(documents: DynamoDBDocumentClient, tableName: string): Promise<JobRecord[]> {
  const items: JobRecord[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey, ConsistentRead: true }));
    const jobs = ((page.Items ?? []) as JobRecord[]).filter((item) => !item.campaignId.startsWith(ALIAS_PREFIX));
    items.push(...jobs.map((item) => ({ ...item, jobKey: jobKeyOf(item.campaignId, item.recipient) })));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}
