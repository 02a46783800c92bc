import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Overrides {@link defaultCacheDir}, e.g. to point CI at a directory it caches between runs. */
export const CACHE_DIR_ENV = 'LAMBDA_LOCAL_KIT_CACHE_DIR';

const PACKAGE_NAME = 'lambda-local-kit';

/**
 * Where the kit keeps what it downloads or builds once (DynamoDB Local, ~56 MB, and its compiled
 * launcher): `$LAMBDA_LOCAL_KIT_CACHE_DIR` if set, otherwise `node_modules/.cache/lambda-local-kit`
 * of the project that installed the kit, the place build tools conventionally cache in. It is
 * found from the kit's own files, not the working directory, so every process of one checkout
 * (test workers, child processes, scripts run from a subdirectory) shares one copy, and it is
 * git-ignored wherever `node_modules/` is. Outside any `node_modules` tree: a directory under the
 * system's temporary directory.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[CACHE_DIR_ENV];
  if (configured) return configured;
  const installer = installingProjectDir(dirname(fileURLToPath(import.meta.url)));
  return installer ? join(installer, 'node_modules', '.cache', PACKAGE_NAME) : join(tmpdir(), `${PACKAGE_NAME}-cache`);
}

/**
 * The nearest ancestor of `start` whose `node_modules` holds this package: the project that
 * installed it (for a workspace package, the workspace root that links it).
 */
function installingProjectDir(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules', PACKAGE_NAME))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}
