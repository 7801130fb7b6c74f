import net from 'node:net';
import pg from 'pg';
import { MIGRATION_LOCK_KEY } from '../../src/db/database.js';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';

/**
 * lifecycle-22 (lifecycle-21 left it): the port is free at the start-up's check ("checking the
 * port") and taken by the time the HTTP server listens (another gateway or program started
 * meanwhile). The listen's EADDRINUSE reached graphql-ws through the HTTP server's 'error' (ws.ts
 * passed every error on), which printed "Internal error emitted on the WebSocket server. Please
 * check your implementation." and the error's stack on stderr before the start's own line. The
 * compiled gateway on a test-server database; the test holds the migration lock (as another gateway
 * migrating) until it has taken the port, so the listen meets it every time.
 */
describe('a listen that fails after the port check (lifecycle-22)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('prints one line naming the port and EADDRINUSE, and exits 1', async () => {
    const db = await createMigratedDatabase();
    const admin = new pg.Client({ connectionString: db.url, application_name: 'lifecycle-22 test' });
    await admin.connect();
    const taken = net.createServer();
    // a free port, given back for the gateway's check, taken again before its listen
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const gateway = spawnGateway(build, { DATABASE_URL: db.url, PORT: String(port) });
    try {
      await admin.query(`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`); // as another gateway migrating
      await gateway.until(/another gateway is migrating this database: waiting/);
      await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
      await admin.query(`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
      const code = await gateway.exited;
      const lines = gateway.output().split('\n');
      expect({
        code,
        // what an operator reads besides the info lines: anything not a log line, and log lines at error or above
        said: lines.filter((line) => (line.trim() !== '' && !line.startsWith('{')) || /"level":[56]0/.test(line)),
        httpStarted: lines.some((line) => line.includes('"msg":"starting the HTTP server"')),
      }).toEqual({
        code: 1,
        said: [`Port ${port} on 127.0.0.1 is already in use (EADDRINUSE: another gateway or program listens there): stop it, or set PORT to a free port.`],
        httpStarted: true,
      });
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
      await new Promise((resolve) => taken.close(resolve));
      await admin.end();
      await db.drop();
    }
  }, 240_000);
});
