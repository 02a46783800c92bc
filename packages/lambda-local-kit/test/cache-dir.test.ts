import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { CACHE_DIR_ENV, defaultCacheDir } from '../src/index.ts';

describe('defaultCacheDir()', () => {
  test('is node_modules/.cache/lambda-local-kit of the project that installed the kit', () => {
    const cacheDir = defaultCacheDir({});
    const suffix = join('node_modules', '.cache', 'lambda-local-kit');
    expect(cacheDir.endsWith(suffix)).toBe(true);
    expect(existsSync(join(cacheDir.slice(0, -suffix.length), 'node_modules', 'lambda-local-kit'))).toBe(true);
  });

  test('LAMBDA_LOCAL_KIT_CACHE_DIR overrides it', () => {
    expect(defaultCacheDir({ [CACHE_DIR_ENV]: '/var/cache/kit' })).toBe('/var/cache/kit');
  });
});
