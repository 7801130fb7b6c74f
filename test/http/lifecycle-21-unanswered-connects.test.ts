import net from 'node:net';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway, stopReport } from '../support/processes.js';

/**
 * lifecycle-21 (early-19 and break2-19 left them): connects of the start-up that a stop signal did
 * not cut, to a peer that accepted the TCP connection and never answers (a frozen server, a proxy
 * whose backend is gone). The Redis connects of REDIS_URL (rate limits, the event fan-out) ended only
 * at ioredis' 10 s connect timeout, and then failed the start; the request pool's first connect
 * (after the migration session) waited out DB_ACQUIRE_TIMEOUT_MS, past the stop's 15 s limit. The
 * compiled gateway, on a test-server database; the silent peer keeps its side of every connection
 * open (`allowHalfOpen`), as a frozen host does.
 */
describe('a signal while a start-up connect is unanswered (lifecycle-21)', () => {
  let build: string;
  let silent: net.Server;
  const held: net.Socket[] = [];
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);
  afterEach(async () => {
    for (const socket of held.splice(0)) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  /** A TCP server on loopback that passes the first `forwarded` connections on to `to` and holds every later one without a byte. */
  const listen = async (forwarded: number, to?: { port: number; host: string }) => {
    let accepted = 0;
    silent = net.createServer({ allowHalfOpen: true }, (socket) => {
      held.push(socket);
      if (accepted++ >= forwarded || !to) return;
      const upstream = net.connect(to.port, to.host);
      held.push(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    return { port: (silent.address() as net.AddressInfo).port, accepted: () => accepted };
  };

  /**
   * Spawns the compiled gateway with `env`, waits for its step `stage`, sends SIGTERM once `ready()`
   * says the connect is under way, and answers how it ended; kills it if the test failed first.
   */
  const stopWhile = async (env: Record<string, string>, stage: string, ready: () => boolean) => {
    const gateway = spawnGateway(build, env);
    try {
      await gateway.until(new RegExp(`"msg":"${stage}"`));
      while (!ready() && gateway.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
      process.kill(gateway.child.pid!, 'SIGTERM');
      return stopReport(gateway, await gateway.exited, /Start-up failed|Cannot reach/);
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
    }
  };

  // the rate limits' connect comes first; with their store in PostgreSQL, the event fan-out's two
  it.each([
    ['the rate limits', {}],
    ['the event fan-out', { RATE_LIMIT_STORE: 'postgres' }],
  ])('cuts the Redis connect of REDIS_URL for %s: exit 0, "stopped", no error', async (_use, env) => {
    const db = await createMigratedDatabase();
    const redis = await listen(0);
    try {
      expect(await stopWhile({ DATABASE_URL: db.url, REDIS_URL: `redis://127.0.0.1:${redis.port}`, ...env }, 'starting the HTTP server', () => redis.accepted() > 0)).toEqual({
        code: 0,
        stoppedAt: 'starting the HTTP server',
        stopped: true,
        errors: [],
      });
    } finally {
      await db.drop();
    }
  }, 120_000);

  it("cuts the request pool's first connect after the migration session: exit 0, \"stopped\", no error", async () => {
    const db = await createMigratedDatabase();
    const server = new URL(db.url);
    // the migration session (the first connection) reaches the database; the pool's connects meet silence
    const proxy = await listen(1, { port: Number(server.port || 5432), host: server.hostname });
    server.host = `127.0.0.1:${proxy.port}`;
    try {
      expect(await stopWhile({ DATABASE_URL: server.toString(), DB_ACQUIRE_TIMEOUT_MS: '120000' }, 'migrating the database', () => proxy.accepted() > 1)).toEqual({
        code: 0,
        stoppedAt: 'migrating the database',
        stopped: true,
        errors: [],
      });
    } finally {
      await db.drop();
    }
  }, 120_000);
});
