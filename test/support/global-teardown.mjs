import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');

export default async function globalTeardown() {
  const run = process.env.TEST_RUN_ID;
  if (run) {
    // test/support/build.ts's marks of this run (the build itself stays, for the next run's incremental tsc)
    for (const mark of ['lock', 'done', 'failed']) await rm(path.join(root, 'node_modules/.cache/rg-test-build/.runs', `${run}.${mark}`), { recursive: true, force: true });
    // the run's seeded DATA_DIR, a stopped cluster, and its marks (test/support/cluster.ts `seededTemplateDir`)
    const seeded = path.join(os.tmpdir(), `rg-seeded-${run}`);
    for (const made of [seeded, `${seeded}.lock`, `${seeded}.done`, `${seeded}.failed`]) await rm(made, { recursive: true, force: true });
  }
  const pg_ = globalThis.__TEST_PG__;
  if (!pg_) {
    // DATABASE_URL's server outlives the run: drop the run's template database (test/support/gateway.ts), if one was made
    if (run && process.env.TEST_PG_ADMIN_URL) {
      const client = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists rg_template_${run} with (force)`);
      } finally {
        await client.end();
      }
    }
    return;
  }
  await pg_.server.stop();
  await rm(pg_.dir, { recursive: true, force: true });
}
