// Jest loads global setup outside its ESM transform, so this file is plain JavaScript. It starts
// one PostgreSQL server for the whole run: DATABASE_URL's when set, else an embedded one started by
// the gateway's own src/db/embedded.ts (compiled here with swc), so the tests get what `npm start`
// gets, also as root in a clone the postgres user cannot enter. Each test file makes its own database
// (a copy of the run's migrated template: test/support/gateway.ts).
import { transformFile } from '@swc/core';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');

/** src/db/embedded.ts as a module (it imports only Node and packages), whatever Node runs jest. */
async function loadEmbedded() {
  const { code } = await transformFile(path.join(root, 'src/db/embedded.ts'), {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  });
  // inside node_modules, so its imports (pg) resolve from the project
  const file = path.join(root, 'node_modules/.cache/rg-test-support', `embedded-${process.pid}.mjs`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, code);
  try {
    return await import(pathToFileURL(file).href);
  } finally {
    await rm(file, { force: true });
  }
}

export default async function globalSetup() {
  process.env.NODE_ENV = 'test';
  // This run's name, for what the test files share within one run and no other: the compiled
  // gateway's build (test/support/build.ts) and the migrated template database (test/support/gateway.ts).
  process.env.TEST_RUN_ID = `${process.pid}_${Date.now().toString(36)}`;
  // The seed of the run's sample of the fault matrices (test/support/fuzz.ts): one for the whole run,
  // so `TEST_FUZZ_SEED=<it> npm test` runs the same cases again; each file's describe title shows it.
  if (!process.env.TEST_FUZZ_SEED) process.env.TEST_FUZZ_SEED = String(Math.floor(Math.random() * 1_000_000));
  if (process.env.TEST_FUZZ !== 'full') process.stderr.write(`\nfault matrices: TEST_FUZZ_SEED=${process.env.TEST_FUZZ_SEED}, a sample of their timings (TEST_FUZZ=full: every case)\n`);
  if (process.env.DATABASE_URL) {
    process.env.TEST_PG_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  const { startEmbeddedPostgres } = await loadEmbedded();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-test-pg-'));
  const server = await startEmbeddedPostgres(dir, () => {}, { password: 'test', maxConnections: 300, settings: { fsync: 'off', full_page_writes: 'off' } });
  globalThis.__TEST_PG__ = { server, dir };
  process.env.TEST_PG_ADMIN_URL = server.adminUrl;
}
