import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CONFIGURATION_PAGE,
  ConfigDocError,
  environmentVariables,
  renderConfigTable,
  withGeneratedBlock,
} from '../../../tools/export-config-doc.ts';

describe('docs/configuration.md', () => {
  it('is up to date with the zod schemas in lib/config.ts (run `npm run config-doc`)', () => {
    const page = readFileSync(CONFIGURATION_PAGE, 'utf8');
    expect(page).toBe(withGeneratedBlock(page, renderConfigTable(environmentVariables())));
  });
});

describe('environmentVariables', () => {
  it('lists a shared variable once, with every function that reads it and its default as set in the environment', () => {
    const shared = z.coerce.number().default(10).describe('Counter items per campaign.');
    const variables = environmentVariables({
      send: z.object({ SHARDS: shared, CODES: z.string().default('CU,IR').describe('Blocked countries.') }),
      sweep: z.object({ SHARDS: shared, TABLE: z.string().describe('The table.') }),
    });
    expect(variables).toEqual([
      { name: 'SHARDS', functions: ['send', 'sweep'], defaultValue: '`10`', description: 'Counter items per campaign.' },
      { name: 'CODES', functions: ['send'], defaultValue: '`CU,IR`', description: 'Blocked countries.' },
      { name: 'TABLE', functions: ['sweep'], defaultValue: 'required', description: 'The table.' },
    ]);
  });

  it('refuses a variable without a description, and one that two functions describe differently', () => {
    expect(() => environmentVariables({ send: z.object({ BARE: z.string() }) })).toThrow(ConfigDocError);
    expect(() =>
      environmentVariables({
        send: z.object({ TTL: z.string().default('300').describe('Cache seconds.') }),
        webhook: z.object({ TTL: z.string().default('60').describe('Cache seconds.') }),
      }),
    ).toThrow(/TTL is described differently/);
  });
});
