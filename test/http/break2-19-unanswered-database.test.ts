import net from 'node:net';
import { compiledGateway } from '../support/build.js';
import { spawnGateway, type SpawnedGateway } from '../support/processes.js';

/**
 * break2-19: a SIGTERM while the gateway connects to a DATABASE_URL whose server accepted the TCP
 * connection and says nothing (a frozen or overloaded server, a proxy whose backend is gone). The
 * early-19 stop "cuts the migration lock's connect": `client.end()` sent a Terminate on the half-open
 * connection and waited for the server to close it, which it never did, so the start-up waited out
 * its connect timeout (DB_ACQUIRE_TIMEOUT_MS, up to 10 min) and the stop hit its 15 s limit: exit 1,
 * "shutdown took too long". The connect is now cut at the signal.
 */
describe('a signal while the database does not answer the connect (break2-19)', () => {
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

  it('stops cleanly at "migrating the database": exit 0, "stopped", no error line', async () => {
    const { port } = silent.address() as net.AddressInfo;
    let gateway: SpawnedGateway | undefined;
    try {
      gateway = spawnGateway(build, { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/nobody`, DB_ACQUIRE_TIMEOUT_MS: '120000' });
      await gateway.until(/"msg":"migrating the database"/);
      while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 20)); // it is connecting
      process.kill(gateway.child.pid!, 'SIGTERM');
      const code = await gateway.exited;
      const output = gateway.output();
      expect({
        code,
        stoppedAt: /"msg":"stopping: SIGTERM during start-up \(([^)]+)\)"/.exec(output)?.[1],
        stopped: output.includes('"msg":"stopped"'),
        errors: output.split('\n').filter((line) => /"level":[56]0|Start-up failed/.test(line)),
      }).toEqual({ code: 0, stoppedAt: 'migrating the database', stopped: true, errors: [] });
    } finally {
      if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
    }
  }, 120_000);
});
