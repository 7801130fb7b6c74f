/**
 * Writes a new migration from the difference between the entities and a scratch database.
 * Usage: npm run migration:create  (uses DATABASE_URL, or a throw-away embedded PostgreSQL)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-migration-'));
const pgServer = process.env.DATABASE_URL ? undefined : await startEmbeddedPostgres(dir);
const url = process.env.DATABASE_URL ?? pgServer!.urlFor('scratch');
if (pgServer) await ensureDatabase(pgServer.adminUrl, 'scratch');
const orm = await openOrm({ url, poolMax: 2 });
try {
  await migrate(orm);
  const result = await orm.migrator.create(path.resolve('migrations'), false, process.argv.includes('--initial'));
  console.log(result.fileName ? `wrote migrations/${result.fileName}` : 'no changes');
  if (result.fileName) console.log('add it to migrations/index.ts');
} finally {
  await orm.close();
  await pgServer?.stop();
  await rm(dir, { recursive: true, force: true });
}
