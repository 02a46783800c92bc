import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * `osls package` as CI and the tools run it: offline, with no AWS credentials or profile (the
 * template's account and region stay pseudo-parameters), no telemetry. Writes the zips and the
 * CloudFormation into `dir`, or osls's own `.serverless/` without one (osls cannot be pointed at it).
 */
export async function packageOffline(input: {
  cwd: string | URL;
  dir?: string | undefined;
  stage: string;
  params?: Record<string, string>;
}): Promise<void> {
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: 'none-offline',
    SLS_TELEMETRY_DISABLED: '1',
  };
  const params = Object.entries(input.params ?? {}).map(([name, value]) => `--param=${name}=${value}`);
  const into = input.dir ? ['--package', input.dir] : [];
  await promisify(execFile)('npx', ['osls', 'package', '--stage', input.stage, ...into, ...params], {
    cwd: input.cwd,
    env,
    timeout: 120_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}
