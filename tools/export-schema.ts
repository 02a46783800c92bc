/** Writes schemas/send-job.v1.json from the zod contract (npm run schema). A test fails when it is stale. */
import { writeFile } from 'node:fs/promises';
import { sendJobJsonSchema } from '../lib/domain/job-contract.ts';

const target = new URL('../schemas/send-job.v1.json', import.meta.url);
await writeFile(target, `${JSON.stringify(sendJobJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
