import { defineConfig } from 'vitest/config';

/**
 * The fault-injection suite (`npm run test:faults`) is slow and separate from `npm test`, which
 * runs every project defined here: the `faults` project is only defined when it is asked for
 * (`--project faults`, or VITEST_FAULTS=1).
 */
const faultsRequested =
  process.env.VITEST_FAULTS === '1' ||
  process.argv.some((arg, i, all) => (arg === '--project' && all[i + 1] === 'faults') || arg === '--project=faults');

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      // Each workspace package (the MM API simulator, the local Lambda kit, the benchmark) has its own config.
      'packages/*/vitest.config.ts',
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
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
          include: ['test/integration/**/*.test.ts'],
          // Starts DynamoDB Local, fauxqs and the SSM stand-in once; each file makes its own queues and tables.
          globalSetup: ['test/helpers/global-setup.ts'],
          // Integration files mostly wait on queues, timers and the simulator: several at once, as the
          // fault files run. Three, not four: DynamoDB Local also writes each jobs table's stream, and
          // four files at once left timing-sensitive tests (pacing, send timeouts) short of CPU.
          maxWorkers: 3,
        },
      },
      ...(faultsRequested
        ? [
            {
              extends: true,
              test: {
                name: 'faults',
                include: ['test/faults/**/*.test.ts'],
                // The local stack, then the closing table of totals (fails the run on a loss or a double send).
                globalSetup: ['test/helpers/global-setup.ts', 'test/helpers/fault-totals-setup.ts'],
                testTimeout: 180_000,
                hookTimeout: 120_000,
                // Fault files mostly wait on timers and queues: run several at once even on 2 cores.
                maxWorkers: 3,
              },
            },
          ]
        : []),
    ],
  },
});
