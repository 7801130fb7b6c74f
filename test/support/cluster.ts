import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gatewayMain } from './build.js';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The run's seeded DATA_DIR: what the run's build of the gateway (test/support/build.ts) leaves in
 * a fresh DATA_DIR after its first start (initdb, the migrations, the demo seed) and a clean stop
 * on SIGTERM, in `<os.tmpdir()>/rg-seeded-<TEST_RUN_ID>`. test/support/global-teardown.mjs removes
 * it with its `.lock`, `.done` and `.failed` marks.
 */
export function seededTemplateDir(run = process.env.TEST_RUN_ID): string {
  if (!run) throw new Error('TEST_RUN_ID is unset: run the tests through jest (test/support/global-setup.mjs sets it)');
  return path.join(os.tmpdir(), `rg-seeded-${run}`);
}

let mine: Promise<string> | undefined;

/**
 * A new DATA_DIR (under os.tmpdir(), named `<prefix>…`; the caller removes it) holding a copy of
 * the run's seeded DATA_DIR: a stopped embedded cluster, migrated and seeded by a real first start
 * of `build` (the compiled gateway), as a second `npm start` on a DATA_DIR finds it. For a test
 * whose subject is what a start on an existing DATA_DIR does (a signal, a stop, a recovery), not
 * the first start itself: a first start on an empty DATA_DIR runs initdb, every migration and the
 * seed (5–16 s here, by load); a copy of its ~50 MB is ~0.5 s, and the start then only starts
 * PostgreSQL and finds nothing to migrate or seed (~2 s). Each copy is a cluster of its own, so a
 * test may kill its postmaster.
 *
 * The first caller of the run makes the template (one start of the gateway), a caller meanwhile
 * (the other jest worker) waits for it; made once per run, whatever the file. Copied with their
 * mode and owner: as root the cluster's files stay the postgres user's, and PostgreSQL refuses a
 * data directory it does not own or that others can read. When PostgreSQL could not reach the template's folder (as root with a tmpdir
 * the postgres user cannot enter, the gateway keeps the cluster elsewhere behind a symlink,
 * src/db/embedded.ts `clusterDirFor`), a copy would share that cluster: then the DATA_DIR
 * answered is empty, and the start makes its own cluster as before.
 * @throws the template's failed start (its exit code and output), in every file that asks.
 */
export async function seededDataDir(build: string, prefix = 'rg-seeded-copy-'): Promise<string> {
  const template = await (mine ??= seededTemplate(build));
  const dataDir = await mkdtemp(path.join(os.tmpdir(), prefix));
  if ((await lstat(path.join(template, 'pg'))).isSymbolicLink()) return dataDir;
  // mode and owner kept, not cp -a's links and extended attributes: half the time (0.5 s, not 1.1–1.4 s, for ~1,500 files)
  for (const entry of await readdir(template)) await promisify(execFile)('cp', ['-R', '--preserve=mode,ownership', path.join(template, entry), path.join(dataDir, entry)]);
  return dataDir;
}

async function seededTemplate(build: string): Promise<string> {
  const template = seededTemplateDir();
  const done = `${template}.done`;
  const failed = `${template}.failed`;
  let maker = false;
  try {
    await mkdir(`${template}.lock`); // atomic: exactly one file of the run makes it
    maker = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (maker) {
    try {
      await mkdir(template);
      await firstStart(build, template);
    } catch (error) {
      await writeFile(failed, (error as Error).message);
      throw error;
    }
    await writeFile(done, '');
    return template;
  }
  const deadline = Date.now() + 300_000;
  while (!existsSync(done)) {
    if (existsSync(failed)) throw new Error(`the run's seeded DATA_DIR failed in another test file:\n${await readFile(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`the run's seeded DATA_DIR (${template}) was not made in 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return template;
}

/**
 * `npm start` of `build` on the empty `dataDir` (development, as test/support/processes.ts
 * `spawnGateway` runs it) until it logs "gateway ready", then SIGTERM; throws unless it stopped
 * with exit code 0 and left no postmaster.pid (a clean stop of its PostgreSQL).
 */
async function firstStart(build: string, dataDir: string): Promise<void> {
  const child = spawn(process.execPath, [gatewayMain(build)], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'development', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 150_000; // initdb, migrations and the seed, on a busy machine
  while (!/"msg":"gateway ready"/.test(output) && child.exitCode === null && child.signalCode === null) {
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exited;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0 || !/"msg":"gateway ready"/.test(output) || existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))) {
    // a PostgreSQL the failed start left running: its postmaster's pid is postmaster.pid's first line
    const postmaster = Number.parseInt(await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').catch(() => ''), 10);
    if (postmaster > 0) {
      try {
        process.kill(postmaster, 'SIGINT');
      } catch {
        // gone already
      }
    }
    throw new Error(`the first start that makes the run's seeded DATA_DIR ended with ${code}:\n${output.slice(-4000)}`);
  }
}
