/** THROWAWAY (fifth session): PostgreSQL CPU while each server sits idle, and per statement kind. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, startEmbeddedPostgres } from '../src/db/embedded.js';
import { migrate, openOrm } from '../src/db/orm.js';
import { postgresCpuMicros } from './cpu.js';
import { ServerProcess } from './server-process.js';
import { benchGatewayEnv, seedBenchProgram } from './seed.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-idle-'));
const postgres = await startEmbeddedPostgres(dir);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  await ensureDatabase(postgres.adminUrl, 'exp');
  const url = postgres.urlFor('exp');
  const env = benchGatewayEnv('x'.repeat(40), url, 20);
  const orm = await openOrm({ url, poolMax: 4 });
  await migrate(orm);
  await seedBenchProgram(orm, loadConfig(env), systemClock);
  await orm.close(true);
  const pgDir = path.join(dir, 'pg');
  const idle = async (label: string) => {
    await sleep(2000);
    const a = postgresCpuMicros(pgDir);
    await sleep(10_000);
    console.log(`${label}: PostgreSQL ${((postgresCpuMicros(pgDir) - a) / 10_000).toFixed(1)} ms CPU per second`);
  };
  await idle('no server');
  for (const script of ['gateway-server.js', 'floor-server.js']) {
    const server = await ServerProcess.start(script, path.resolve(here, script), env);
    await idle(script);
    const s = await server.stats();
    console.log(`  statements so far ${s.statements}`);
    await server.stop();
  }
  await idle('no server again');
} finally {
  await postgres.stop();
  await rm(dir, { recursive: true, force: true });
}
