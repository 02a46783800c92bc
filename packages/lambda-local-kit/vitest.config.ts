import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'local-kit',
    include: ['test/**/*.test.ts'],
    // Starts DynamoDB Local, fauxqs and the SSM stand-in once; each file makes its own queues and tables.
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
