import net from 'node:net';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { spawnGateway } from '../support/processes.js';

/**
 * break37 (ops): README: "Every other precondition (… `DATABASE_URL` answers and its database
 * exists …) is checked before the work it guards: a failure is one line on stderr naming cause and
 * remedy, exit code 1". A DATABASE_URL that refuses the connection gets such a line ("Cannot reach the
 * database at host:port/db (ECONNREFUSED): start PostgreSQL there, fix DATABASE_URL, …"). One
 * whose server takes the TCP connection and never answers (a port of another service, a proxy
 * whose backend is gone, a frozen or overloaded server) ends the start after DB_ACQUIRE_TIMEOUT_MS
 * with "Start-up failed: timeout expired. Nothing was left running; LOG_LEVEL=debug shows the
 * details.": no database, no DATABASE_URL, no address, no setting, no remedy. The operator cannot
 * tell it from a Redis or JWKS timeout. Likewise a DB_STATEMENT_TIMEOUT_MS the database's own
 * start-up reads do not fit in (1 ms, an operator's "1" meant as seconds) ends it with "Start-up
 * failed: canceling statement due to statement timeout.", naming no setting.
 */
describe('break37 ops: a start-up that times out on the database says which and why', () => {
  let build: string;
  let silent: net.Server;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    build = await compiledGateway();
    silent = net.createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  }, 600_000);
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('a DATABASE_URL whose server never answers: one line naming the database, DATABASE_URL and the wait', async () => {
    const { port } = silent.address() as net.AddressInfo;
    const gateway = spawnGateway(build, { DATABASE_URL: `postgres://gw:pw-never-printed@127.0.0.1:${port}/loyalty`, DB_ACQUIRE_TIMEOUT_MS: '1000', JOBS_ENABLED: 'false' });
    const code = await gateway.exited;
    const line = gateway.output().split('\n').find((l) => l && !l.startsWith('{')) ?? '';
    // all three named, the password never
    const wanted = new RegExp(`^(?=.*127\\.0\\.0\\.1:${port}/loyalty)(?=.*DATABASE_URL)(?=.*DB_ACQUIRE_TIMEOUT_MS)(?!.*pw-never-printed)`);
    expect({ code, line }).toEqual({ code: 1, line: expect.stringMatching(wanted) });
  }, 120_000);

  it('DB_STATEMENT_TIMEOUT_MS too short for the start-up: the gateway starts (requests are held to it, not the start) or its line names the setting', async () => {
    const database = await createMigratedDatabase();
    const gateway = spawnGateway(build, { DATABASE_URL: database.url, DB_STATEMENT_TIMEOUT_MS: '1', JOBS_ENABLED: 'false' });
    try {
      await gateway.until(/"msg":"gateway ready"/);
      const ready = gateway.output().includes('"msg":"gateway ready"');
      const line = gateway.output().split('\n').find((l) => l.startsWith('Start-up failed') || (l && !l.startsWith('{'))) ?? '';
      expect(ready ? 'gateway ready' : line).toMatch(/^gateway ready$|DB_STATEMENT_TIMEOUT_MS/);
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
        gateway.child.kill('SIGTERM');
        await gateway.exited;
      }
      await database.drop();
    }
  }, 180_000);
});
