// DynamoDB Local, fauxqs and the SSM stand-in, started once per test run by the local kit.
export { default } from 'lambda-local-kit/vitest-setup';
