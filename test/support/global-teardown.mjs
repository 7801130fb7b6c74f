import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

const root = path.resolve(import.meta.dirname ?? path.dirname(new URL(import.meta.url).pathname), '../..');

/**
 * Ends the jest workers' Chromiums (test/support/browser.ts `workerChromium`: one a worker, kept from
 * file to file and never closed by a test file). The workers are threads of this process, so their
 * browsers are its children; by now the workers are gone, and with them Playwright's own exit
 * handlers, so nothing else would end them before this process exits. Each is its process group's
 * leader (Playwright spawns it detached): the group goes (renderers, GPU and utility processes too),
 * and so does its profile directory (Playwright removes it only on a browser.close()). Linux /proc.
 */
async function killWorkerChromiums() {
  let entries;
  try {
    entries = await readdir('/proc');
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    let stat, cmdline;
    try {
      stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    } catch {
      continue; // ended meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // chromium, or chromium-headless-shell cut to comm's 15 characters
    if (!comm.startsWith('chromium') || Number(ppid) !== process.pid) continue;
    try {
      process.kill(Number(pgrp) === pid ? -pid : pid, 'SIGKILL');
    } catch {
      // ended meanwhile
    }
    const profile = cmdline.find((arg) => arg.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
    if (profile && path.basename(profile).startsWith('playwright_')) await rm(profile, { recursive: true, force: true, maxRetries: 3 });
  }
  // their Playwright scratch directories (browser.ts WORKER_ARTIFACTS, then this process's pid)
  for (const name of await readdir(os.tmpdir()).catch(() => []))
    if (name.startsWith(`rg-chromium-${process.pid}-`)) await rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
}

export default async function globalTeardown() {
  await killWorkerChromiums();
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
    // DATABASE_URL's server outlives the run: drop the run's template database (test/support/gateway.ts), if one was made,
    // and each worker's spare copy of it (gateway.ts `spare`), once none is still being made
    if (run && process.env.TEST_PG_ADMIN_URL) {
      const client = new pg.Client({ connectionString: process.env.TEST_PG_ADMIN_URL });
      await client.connect();
      try {
        const copies = `rg_test_${run}_%`;
        for (let i = 0; i < 100; i++) {
          const { rowCount } = await client.query(`select 1 from pg_stat_activity where state = 'active' and query ilike 'create database ' || $1 || ' template%'`, [copies]);
          if (!rowCount) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const { rows } = await client.query(`select datname from pg_database where datname like $1`, [copies]);
        for (const { datname } of rows) await client.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
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
