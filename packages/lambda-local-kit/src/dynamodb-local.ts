import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { defaultCacheDir } from './cache-dir.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, LOOPBACK_HOST, type LocalService } from './local-aws.ts';

const run = promisify(execFile);

/** The npm package that ships DynamoDB Local 1.25.1 as `emulator/` (jar + native libs), 56 MB packed. */
const EMULATOR_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const LAUNCHER_SOURCE = fileURLToPath(new URL('./DynamoDbLocalLauncher.java', import.meta.url));
const LAUNCHER_CLASS = 'DynamoDbLocalLauncher';
const READY_LINE = /^DYNAMODB_LOCAL_LISTENING (\S+):(\d+)$/;

/** Small heap, serial GC and C1 only: DynamoDB Local starts faster and a test run needs little memory. */
const JVM_FLAGS = ['-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** Installs in progress or done, by cache directory. */
const installing = new Map<string, Promise<string>>();

/**
 * Makes sure DynamoDB Local is unpacked in `<cacheDir>/dynamodb-local/` and returns that
 * directory (it holds `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`). Downloads it once with
 * `npm pack`; safe when several processes race, because each unpacks into its own temporary
 * directory and the first atomic rename wins.
 *
 * @param cacheDir - Default: {@link defaultCacheDir}.
 */
export function ensureDynamoDbLocal(cacheDir: string = defaultCacheDir()): Promise<string> {
  let install = installing.get(cacheDir);
  if (!install) {
    install = installOnce(join(cacheDir, 'dynamodb-local'), 'DynamoDBLocal.jar', downloadEmulator).catch((error: unknown) => {
      installing.delete(cacheDir);
      throw error;
    });
    installing.set(cacheDir, install);
  }
  return install;
}

/** Options for {@link startDynamoDbLocal}. */
export interface DynamoDbLocalOptions {
  /** Port on 127.0.0.1; by default the kernel picks a free one. */
  port?: number;
  /** Where DynamoDB Local is downloaded to and its launcher compiled. Default: {@link defaultCacheDir}. */
  cacheDir?: string;
}

/**
 * Starts an in-memory DynamoDB Local bound to 127.0.0.1 only and resolves once it answers
 * ListTables. The JVM exits when `stop()` is called, and also by itself if this Node process dies
 * (it watches its stdin pipe), so no orphan survives a crashed test run.
 *
 * @example
 * const dynamo = await startDynamoDbLocal();
 * const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
 * await dynamo.stop();
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<LocalService> {
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const installDir = await ensureDynamoDbLocal(cacheDir);
  const launcherDir = await ensureLauncherCompiled(cacheDir, installDir);
  const child = spawn(
    'java',
    [
      ...JVM_FLAGS,
      `-Djava.library.path=${join(installDir, 'DynamoDBLocal_lib')}`,
      '-cp',
      // The jar's manifest Class-Path pulls in DynamoDBLocal_lib/*.jar.
      [launcherDir, join(installDir, 'DynamoDBLocal.jar')].join(delimiter),
      LAUNCHER_CLASS,
      '-port',
      String(options.port ?? 0),
      '-inMemory',
      '-disableTelemetry',
    ],
    {
      cwd: installDir,
      // stdin must stay a pipe: its end of stream is how the launcher learns to exit.
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    },
  );
  // EPIPE when the JVM has already gone: nothing left to tell it.
  child.stdin.on('error', () => {});
  const stop = stopper(child);
  try {
    const endpoint = await waitForListening(child);
    await waitUntilAnswering(endpoint, child);
    return { endpoint, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function downloadEmulator(workDir: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', EMULATOR_PACKAGE, '--json', '--silent'], { cwd: workDir, maxBuffer: 16 * 1024 * 1024 });
  const packed = JSON.parse(stdout) as Array<{ filename: string }>;
  const tarball = packed[0]?.filename;
  if (!tarball) throw new Error(`npm pack ${EMULATOR_PACKAGE} printed no file name: ${stdout.slice(0, 500)}`);
  await run('tar', ['-xzf', tarball, 'package/emulator'], { cwd: workDir });
  return join(workDir, 'package', 'emulator');
}

/** Compiles the launcher once per source version; starting a compiled class saves ~0.4 s per start. */
async function ensureLauncherCompiled(cacheDir: string, installDir: string): Promise<string> {
  const source = await readFile(LAUNCHER_SOURCE);
  const version = createHash('sha256').update(source).digest('hex').slice(0, 16);
  return installOnce(join(cacheDir, `dynamodb-local-launcher-${version}`), `${LAUNCHER_CLASS}.class`, async (workDir) => {
    const classes = join(workDir, 'classes');
    await run('javac', ['-nowarn', '-d', classes, '-cp', join(installDir, 'DynamoDBLocal.jar'), LAUNCHER_SOURCE]);
    return classes;
  });
}

/**
 * Builds `targetDir` through a private temporary directory and publishes it with one atomic
 * rename, so a reader never sees a half-written directory and concurrent builders do not clash.
 * `marker` is a file that only a complete build contains.
 */
async function installOnce(targetDir: string, marker: string, build: (workDir: string) => Promise<string>): Promise<string> {
  if (existsSync(join(targetDir, marker))) return targetDir;
  // Same parent as the target: rename() cannot cross file systems.
  const parent = dirname(targetDir);
  await mkdir(parent, { recursive: true });
  const workDir = await mkdtemp(join(parent, '.tmp-'));
  try {
    const built = await build(workDir);
    try {
      await rename(built, targetDir);
    } catch (error) {
      // Another process published first (ENOTEMPTY/EEXIST); its copy is as good as ours.
      if (!existsSync(join(targetDir, marker))) throw error;
    }
    return targetDir;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Resolves with the endpoint once the launcher reports its bound address. */
function waitForListening(child: ChildProcessWithoutNullStreams): Promise<string> {
  const output: string[] = [];
  const remember = (line: string) => {
    output.push(line);
    if (output.length > 40) output.shift();
  };
  // Both streams must be drained for the JVM's whole life, or it blocks once a pipe buffer fills.
  createInterface({ input: child.stderr }).on('line', remember);
  const stdoutLines = createInterface({ input: child.stdout });

  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`DynamoDB Local did not start: ${reason}\n${output.join('\n')}`));
    };
    const timer = setTimeout(() => fail(`no listening line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('error', (error) => fail(`cannot run java (${error.message}); DynamoDB Local needs Java 17 and javac on PATH`));
    child.once('exit', (code, signal) => fail(`java exited (code ${code}, signal ${signal})`));
    stdoutLines.on('line', (line) => {
      const match = READY_LINE.exec(line);
      if (!match) return remember(line);
      clearTimeout(timer);
      if (match[1] !== LOOPBACK_HOST) return fail(`bound to ${match[1]} instead of ${LOOPBACK_HOST}`);
      resolve(`http://${LOOPBACK_HOST}:${match[2]}`);
    });
  });
}

/** Jetty accepts connections before DynamoDB Local's handler is ready: poll ListTables until it answers. */
async function waitUntilAnswering(endpoint: string, child: ChildProcessWithoutNullStreams): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (child.exitCode !== null) throw new Error(`DynamoDB Local exited while starting (code ${child.exitCode})`);
        if (Date.now() > deadline) throw new Error(`DynamoDB Local at ${endpoint} did not answer ListTables`, { cause: error });
        await sleep(50);
      }
    }
  } finally {
    client.destroy();
  }
}

/** Closes stdin (the launcher then stops Jetty and exits); kills the JVM if it lingers. */
function stopper(child: ChildProcessWithoutNullStreams): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= new Promise<void>((resolve) => {
      const neverStarted = child.pid === undefined;
      if (neverStarted || child.exitCode !== null || child.signalCode !== null) return resolve();
      const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      child.stdin.end();
    });
    return stopping;
  };
}
