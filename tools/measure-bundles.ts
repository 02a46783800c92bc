#!/usr/bin/env node
/**
 * Measures what each function deploys and how long its bundle takes to load: the zip's size, the
 * unpacked size, and the time a fresh Node process takes to import the handler module (the part of
 * a Lambda cold start that the code decides), median of several runs.
 *
 *   npm run measure-bundles -- [--dir <osls package output>] [--runs 5] [--json]
 *
 * Without `--dir` it packages the service first (`osls package --stage dev`, offline).
 * Exit codes: 0 measured, 1 a bundle failed to load or has no `handler` export, 2 usage error.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import yauzl from 'yauzl';
import { parseCommandLine } from './command-line.ts';
import { packageOffline } from './offline-package.ts';

const run = promisify(execFile);
const USAGE = 'usage: measure-bundles [--dir <osls package output>] [--runs 5] [--json]';

interface BundleFigures {
  function: string;
  zipBytes: number;
  unpackedBytes: number;
  files: string[];
  importMs: number;
}

/** The import as Lambda's runtime does it: a fresh process, the handler module, its `handler` export checked. */
const IMPORT_PROBE = `
const started = performance.now();
const module = await import(process.argv[1]);
const ms = performance.now() - started;
if (typeof module.handler !== 'function') { console.error('no handler export'); process.exit(1); }
console.log(ms.toFixed(1));
`;

async function packageService(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'bundles-'));
  await packageOffline({ cwd: process.cwd(), dir, stage: 'dev' });
  return dir;
}

/** Unpacks a function's zip into `into`, refusing an entry that would land outside it. */
async function unzip(zip: string, into: string): Promise<void> {
  const archive = await promisify<string, yauzl.Options, yauzl.ZipFile>(yauzl.open)(zip, { lazyEntries: true });
  const openStream = promisify(archive.openReadStream.bind(archive));
  await new Promise<void>((done, fail) => {
    archive.on('error', fail);
    archive.on('end', done);
    archive.on('entry', (entry: yauzl.Entry) => {
      const target = resolve(into, entry.fileName);
      if (!target.startsWith(`${resolve(into)}/`)) return fail(new Error(`${zip}: entry outside the archive: ${entry.fileName}`));
      if (entry.fileName.endsWith('/')) return archive.readEntry();
      mkdirSync(dirname(target), { recursive: true });
      openStream(entry)
        .then((stream) => pipeline(stream, createWriteStream(target)))
        .then(() => archive.readEntry(), fail);
    });
    archive.readEntry();
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(dir, path)).isFile());
}

/** One bundle's figures, from a temporary unpacked copy that is removed afterwards. */
async function measure(zip: string, runs: number): Promise<BundleFigures> {
  const unpacked = mkdtempSync(join(tmpdir(), 'bundle-'));
  try {
    await unzip(zip, unpacked);
    const files = filesUnder(unpacked).sort();
    const entry = files.find((path) => path.endsWith('.mjs'));
    if (!entry) throw new Error(`${zip}: no .mjs entry point`);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await importMs(join(unpacked, entry), unpacked));
    times.sort((a, b) => a - b);
    return {
      function: basename(zip, '.zip'),
      zipBytes: statSync(zip).size,
      unpackedBytes: files.reduce((sum, path) => sum + statSync(join(unpacked, path)).size, 0),
      files,
      importMs: times[Math.floor(times.length / 2)]!,
    };
  } finally {
    rmSync(unpacked, { recursive: true, force: true });
  }
}

/** The import time of one fresh process, with none of the caller's environment but PATH and a region. */
async function importMs(entry: string, cwd: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_PROBE, pathToFileURL(entry).href], {
    cwd,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'eu-west-1' },
  });
  return Number(stdout.trim());
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        options: { dir: { type: 'string' }, runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } },
      }),
    USAGE,
  );
  if (!parsed) return 2;
  const { values } = parsed;
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) {
    console.error(`--runs must be 1 to 50\n${USAGE}`);
    return 2;
  }
  const packagedHere = values.dir === undefined;
  const dir = values.dir ?? (await packageService());
  try {
    return await report(dir, runs, values.json);
  } finally {
    if (packagedHere) rmSync(dir, { recursive: true, force: true });
  }
}

async function report(dir: string, runs: number, json: boolean): Promise<number> {
  const zips = readdirSync(dir)
    .filter((name) => name.endsWith('.zip'))
    .sort()
    .map((name) => join(dir, name));
  if (zips.length === 0) {
    console.error(`no .zip in ${dir}\n${USAGE}`);
    return 2;
  }
  const figures: BundleFigures[] = [];
  for (const zip of zips) {
    try {
      figures.push(await measure(zip, runs));
    } catch (error) {
      console.error(`${zip}: ${(error as Error).message}`);
      return 1;
    }
  }
  if (json) console.log(JSON.stringify({ node: process.version, runs, figures }, null, 1));
  else {
    console.log(`Node ${process.version}, import time: median of ${runs} fresh processes`);
    console.log('| function | zip | unpacked | files | import |');
    console.log('|---|---|---|---|---|');
    const kb = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en-US')} KB`;
    for (const f of figures)
      console.log(`| ${f.function} | ${kb(f.zipBytes)} | ${kb(f.unpackedBytes)} | ${f.files.join(', ')} | ${f.importMs} ms |`);
  }
  return 0;
}

process.exitCode = await main();
