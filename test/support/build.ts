import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The run's one build of the gateway: `tsc -p tsconfig.build.json` then scripts/bundle.mjs, what
 * `npm start` builds (`npm run build`, `npm run build:bundle`), written here instead of dist/ (inside node_modules, so its
 * packages resolve; the compiled code finds the project's files from package.json,
 * src/persisted/contract.ts `packageRoot`, so `<COMPILED>/bundle/main.js`, the bundle the spawned
 * gateways run, runs as `dist/bundle/main.js` does; `<COMPILED>/src/` is tsc's unbundled output). Incremental, with its
 * own build info beside it: a second run with no source changed compiles nothing.
 */
export const COMPILED = path.join(root, 'node_modules/.cache/rg-test-build');

/**
 * The file a spawned gateway runs in the run's build `build` (`compiledGateway`'s answer): the
 * bundle, `<build>/bundle/main.js`, as `npm start` runs `dist/bundle/main.js` (bundle-26).
 */
export const gatewayMain = (build: string): string => path.join(build, 'bundle/main.js');

/** Whether `<COMPILED>/bundle/main.js` was made after tsc last wrote the build (its build info). */
function bundleIsCurrent(): boolean {
  const bundle = gatewayMain(COMPILED);
  const info = path.join(COMPILED, '.tsbuildinfo');
  return existsSync(bundle) && existsSync(info) && statSync(bundle).mtimeMs >= statSync(info).mtimeMs;
}

let mine: Promise<string> | undefined;

/**
 * Compiles the gateway once per jest run (the run's id is TEST_RUN_ID, set by
 * test/support/global-setup.mjs) and resolves with `COMPILED`: the first test file to ask runs tsc,
 * any other file asking meanwhile (the other worker) waits for it. Each of the four files that
 * spawn the compiled gateway ran its own tsc before (~25 s of CPU each; test/http/process.test.ts and
 * test/crash/sigkill.test.ts both into dist/, at once when they shared the two workers).
 * Rejects with tsc's output when the build fails, in every file that waits for it.
 */
export function compiledGateway(): Promise<string> {
  return (mine ??= build());
}

async function build(): Promise<string> {
  const run = process.env.TEST_RUN_ID;
  if (!run) throw new Error('TEST_RUN_ID is unset: run the tests through jest (test/support/global-setup.mjs sets it)');
  const marks = path.join(COMPILED, '.runs');
  const done = path.join(marks, `${run}.done`);
  const failed = path.join(marks, `${run}.failed`);
  await mkdir(marks, { recursive: true });
  let builder = false;
  try {
    await mkdir(path.join(marks, `${run}.lock`)); // atomic: exactly one file of the run builds
    builder = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if (builder) {
    try {
      // `npm test` ran this same tsc and the bundle in scripts/test-prepare.mjs just before jest (and
      // runs jest only when they passed): a second, no-op tsc here cost ~6 s of CPU and 6–15 s of a
      // worker's wall time, the other worker's first process test waiting for it (suite-38)
      if (!(process.env.TEST_BUILD_PREPARED === '1' && bundleIsCurrent()))
        await promisify(execFile)(
          path.join(root, 'node_modules/.bin/tsc'),
          ['-p', 'tsconfig.build.json', '--outDir', COMPILED, '--tsBuildInfoFile', path.join(COMPILED, '.tsbuildinfo')],
          { cwd: root, maxBuffer: 16 * 1024 * 1024 },
        );
      // bundle-26: `<COMPILED>/bundle/main.js`, as `npm start` bundles it; `npm test` made it in
      // scripts/test-prepare.mjs already unless tsc has written since (a no-op tsc writes nothing)
      if (!bundleIsCurrent()) await promisify(execFile)(process.execPath, [path.join(root, 'scripts/bundle.mjs'), COMPILED], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      const { stdout = '', stderr = '', message } = error as { stdout?: string; stderr?: string; message: string };
      await writeFile(failed, `${message}\n${stdout}\n${stderr}`);
      throw new Error(`the build (tsc -p tsconfig.build.json, scripts/bundle.mjs) failed:\n${stdout}\n${stderr}`);
    }
    await writeFile(done, '');
    return COMPILED;
  }
  const deadline = Date.now() + 600_000;
  while (!existsSync(done)) {
    if (existsSync(failed)) throw new Error(`the run's build of the gateway failed in another test file:\n${await readFile(failed, 'utf8')}`);
    if (Date.now() > deadline) throw new Error(`the run's build of the gateway (${COMPILED}) did not finish in 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return COMPILED;
}
