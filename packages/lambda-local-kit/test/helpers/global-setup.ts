// The kit's own vitest global setup, the one other projects use too.
export { default } from '../../src/vitest-setup.ts';
