/** Writes the published JSON Schemas from the zod contracts (npm run schema). A test fails when one is stale. */
import { writeFile } from 'node:fs/promises';
import { campaignJsonSchema } from '../lib/domain/campaign-contract.ts';
import { sendJobJsonSchema } from '../lib/domain/job-contract.ts';

const schemas: Array<[file: string, schema: Record<string, unknown>]> = [
  ['send-job.v1.json', sendJobJsonSchema()],
  ['campaign.v1.json', campaignJsonSchema()],
];
for (const [file, schema] of schemas) {
  const target = new URL(`../schemas/${file}`, import.meta.url);
  await writeFile(target, `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote ${target.pathname}`);
}
