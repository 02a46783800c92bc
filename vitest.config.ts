import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/simulator/**/*.test.ts'] },
      },
      {
        extends: true,
        // Runs `osls package` offline and checks the CloudFormation it writes.
        test: { name: 'package', include: ['test/package/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/local-stack/**/*.test.ts'],
          // Starts DynamoDB Local, fauxqs and the SSM stand-in once; each file makes its own queues and tables.
          globalSetup: ['test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
