import { defineProject } from 'vitest/config';

/** The simulator's own tests: run with the repository's `npm test`, or alone from this folder with `npx vitest run`. */
export default defineProject({
  test: {
    name: 'simulator',
    include: ['test/**/*.test.ts'],
    // Tests run real HTTP servers and wait on real timers; the machine may be busy.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
