import type pg from 'pg';
import { ConfigError, loadConfig } from '../../src/config.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** The gateway's request pool (pg-pool), as MikroORM holds it. The tests run jobs by hand, so nothing else borrows from it. */
const poolOf = (t: TestGateway) => (t.orm.em.getConnection() as unknown as { getNativeClient(): Promise<pg.Pool> }).getNativeClient();

/** Borrows `n` connections of the pool at once (so it holds at least `n`), answers their PostgreSQL backends' pids, and hands them back. */
async function borrowAtOnce(t: TestGateway, n: number): Promise<number[]> {
  const pool = await poolOf(t);
  const clients = await Promise.all(Array.from({ length: n }, () => pool.connect()));
  try {
    return await Promise.all(clients.map(async (c) => (await c.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0].pid));
  } finally {
    for (const c of clients) c.release();
  }
}

/** How many of `pids` are PostgreSQL sessions still open. */
const open = async (t: TestGateway, pids: number[]) => (await t.sql<{ pid: number }>('select pid from pg_stat_activity where pid = any($1::int[])', [pids])).length;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const SIX = 6;

/**
 * pool-12: pg-pool closed a connection unused for 10 s (its default `idleTimeoutMillis`), down to
 * one, so the page benchmark's gateway opened new PostgreSQL sessions in every turn after the other
 * servers' (15 of 16 each time), each paying a backend's start and its named statements prepared
 * again. The pool now keeps its connections unless DB_POOL_IDLE_MS says otherwise.
 */
describe('the request pool across an idle gap', () => {
  it('keeps its connections by default: after 11 s unused (past pg-pool’s 10 s), the same PostgreSQL sessions serve, none new', async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    try {
      const before = await borrowAtOnce(t, SIX);
      expect(new Set(before).size).toBe(SIX);
      await sleep(11_000);
      // Before pool-12: 1 of 6 (pg-pool's idle timer closed the others).
      expect(await open(t, before)).toBe(SIX);
      const after = await borrowAtOnce(t, SIX);
      expect(new Set(after)).toEqual(new Set(before));
    } finally {
      await t.close();
    }
  }, 30_000);

  it('closes connections unused for DB_POOL_IDLE_MS, down to one, and opens new ones when needed', async () => {
    const t = await startTestGateway({ DB_POOL_IDLE_MS: '1000' }, { jobs: 'manual' });
    try {
      const before = await borrowAtOnce(t, SIX);
      await sleep(3_000);
      // Before pool-12 the setting was not read: pg-pool's 10 s kept all six.
      expect(await open(t, before)).toBe(1);
      const after = await borrowAtOnce(t, SIX);
      expect(after.filter((pid) => !before.includes(pid))).toHaveLength(SIX - 1);
    } finally {
      await t.close();
    }
  }, 30_000);

  it('refuses a DB_POOL_IDLE_MS out of its rule with the whole rule', () => {
    const rule = (got: string) =>
      new ConfigError(
        `DB_POOL_IDLE_MS must be 0 (keep idle connections open, the default) or between 1000 and 86400000 (milliseconds a pooled connection may sit unused before it is closed), got "${got}"`,
      );
    for (const value of ['500', '-1', '86400001', '10s', 'abc']) expect(() => loadConfig({ DB_POOL_IDLE_MS: value })).toThrow(rule(value));
    expect(loadConfig({}).dbPoolIdleMs).toBe(0);
    expect(loadConfig({ DB_POOL_IDLE_MS: '600000' }).dbPoolIdleMs).toBe(600_000);
  });
});
