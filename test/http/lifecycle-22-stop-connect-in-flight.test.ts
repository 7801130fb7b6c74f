import net from 'node:net';
import { REQUEST_POOL_APPLICATION } from '../../src/db/orm.js';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';
import { applicationName } from '../support/pg-wire.js';

/**
 * lifecycle-22: a running gateway SIGTERMed just after "gateway ready" could exit 0 without
 * "stopped" (seen 2 runs in 40): its jobs' first ticks (the scheduler's, the webhook dispatcher's)
 * had asked the request pool for new connections, and one of those connects completed after the
 * pool's close began. kysely's driver forgets its pool as its close begins, so the connection it
 * was then handed was never used nor handed back (its `acquireConnection` failed reading the
 * forgotten pool); pg-pool's `end()` waits for every lent connection, so it never resolved; its
 * socket destroyed after the close's grace, nothing was left to run, and the process ended with
 * code 0 and no line. Here a proxy between the gateway and PostgreSQL passes the request pool's first
 * connection (the start-up's) and holds every later one of the pool's unanswered until that first
 * one is closed by the gateway (the pool's close ends its idle connections as it begins), then
 * passes them on: the jobs' connects are in flight at the signal and complete after the close began,
 * every run. The compiled gateway, on a test-server database, jobs on.
 */
describe('a stop while the request pool connects (lifecycle-22)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('ends with "stopped" and exit 0 when a connect completes after the pool began to close', async () => {
    const db = await createMigratedDatabase();
    const target = new URL(db.url);
    const sockets: net.Socket[] = [];
    const held: (() => void)[] = [];
    let firstPoolConnection = false;
    let poolCloseBegun = false;
    const proxy = net.createServer((client) => {
      sockets.push(client);
      let startup = Buffer.alloc(0);
      const collect = (chunk: Buffer) => {
        startup = Buffer.concat([startup, chunk]);
        const name = applicationName(startup);
        if (name === undefined) return;
        client.off('data', collect);
        client.pause();
        const pass = () => {
          const upstream = net.connect(Number(target.port || 5432), target.hostname);
          sockets.push(upstream);
          upstream.write(startup);
          client.pipe(upstream).pipe(client);
          client.resume();
          client.on('error', () => upstream.destroy());
          upstream.on('error', () => client.destroy());
          client.on('close', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
        };
        if (name !== REQUEST_POOL_APPLICATION) return pass();
        if (!firstPoolConnection) {
          firstPoolConnection = true;
          // the pool's close ends its idle connections as it begins: from then on, hold nothing more
          client.once('end', () => {
            poolCloseBegun = true;
            for (const release of held.splice(0)) release();
          });
          return pass();
        }
        if (poolCloseBegun) return pass();
        held.push(pass);
      };
      client.on('data', collect);
      client.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const gateway = spawnGateway(build, { DATABASE_URL: viaProxy.toString(), DB_ACQUIRE_TIMEOUT_MS: '120000' });
    try {
      expect(await gateway.until(/"msg":"gateway ready"/)).toBe(true);
      // the jobs' first ticks wait for connections of their own (held), then the signal
      while (!held.length && gateway.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
      const heldAtSignal = held.length;
      process.kill(gateway.child.pid!, 'SIGTERM');
      const code = await gateway.exited;
      const lines = gateway.output().split('\n');
      expect({
        heldAtSignal: heldAtSignal > 0,
        poolCloseBegun,
        code,
        stopped: lines.some((line) => line.includes('"msg":"stopped"')),
        errors: lines.filter((line) => /"level":[56]0/.test(line)),
      }).toEqual({ heldAtSignal: true, poolCloseBegun: true, code: 0, stopped: true, errors: [] });
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
      await db.drop();
    }
  }, 240_000);
});
