import net from 'node:net';
import pg from 'pg';
import { REQUEST_POOL_APPLICATION } from '../../src/db/orm.js';
import { compiledGateway } from '../support/build.js';
import { createMigratedDatabase } from '../support/gateway.js';
import { eventually } from '../support/program.js';
import { spawnGateway } from '../support/processes.js';
import { applicationName } from '../support/pg-wire.js';

/**
 * lifecycle-22 (lifecycle-21 left it): a start-up step after the migration that opens a new
 * connection of the request pool (the pool's idle one was closed meanwhile: a failover, a proxy's
 * idle cut) while a stop signal comes. The signal cuts that connect (ConnectCut, lifecycle-21), and
 * the step fails with pg's "Connection terminated unexpectedly", which MikroORM re-wraps without the
 * abort's reason: the start read as failed, "start-up failed while stopping", exit 1, where every
 * other step a signal cuts is a clean stop (exit 0, "stopped"). The compiled gateway on a test-server
 * database, through a proxy that holds the migration session's last statement (the lock's release)
 * while the test ends the pool's first session, then holds the pool's next connection unanswered:
 * the signal comes while the next step ("checking the clocks", the same for the demo seed's) waits
 * for it.
 */
describe('a signal while a start-up step after the migration connects anew (lifecycle-22)', () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('is a clean stop: exit 0, "stopped", no error line', async () => {
    const db = await createMigratedDatabase();
    const target = new URL(db.url);
    const admin = new pg.Client({ connectionString: db.url, application_name: 'lifecycle-22 test' });
    await admin.connect();
    const sockets: net.Socket[] = [];
    let releaseUnlock: (() => void) | undefined;
    let poolSessionClosed = false;
    let poolConnections = 0;
    let heldConnects = 0;
    const proxy = net.createServer((client) => {
      sockets.push(client);
      client.on('error', () => undefined);
      let buffered = Buffer.alloc(0);
      const upstream = net.connect(Number(target.port || 5432), target.hostname);
      sockets.push(upstream);
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.pipe(client);
      let name: string | undefined;
      let queries = 0;
      let holding = false;
      const held: Buffer[] = [];
      client.on('data', (chunk: Buffer) => {
        if (name === undefined) {
          buffered = Buffer.concat([buffered, chunk]);
          name = applicationName(buffered);
          if (name === undefined) return;
          const rest = buffered.subarray(buffered.readInt32BE(0));
          upstream.write(buffered.subarray(0, buffered.readInt32BE(0)));
          if (name === REQUEST_POOL_APPLICATION && ++poolConnections === 1) client.once('close', () => (poolSessionClosed = true));
          buffered = rest;
        } else buffered = Buffer.concat([buffered, chunk]);
        // the pool's second connection (the step's new connect): never answered
        if (name === REQUEST_POOL_APPLICATION && poolConnections > 1) {
          heldConnects = poolConnections - 1;
          return;
        }
        if (name !== 'reward-gateway migrations' || holding) {
          if (holding) held.push(buffered);
          else upstream.write(buffered);
          buffered = Buffer.alloc(0);
          return;
        }
        // the migration session's messages, one by one: its second simple query is the lock's release
        while (buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
          const message = buffered.subarray(0, 1 + buffered.readInt32BE(1));
          buffered = buffered.subarray(message.length);
          if (message[0] === 0x51 && ++queries === 2) {
            holding = true;
            held.push(message, buffered);
            buffered = Buffer.alloc(0);
            releaseUnlock = () => {
              holding = false;
              for (const part of held.splice(0)) upstream.write(part);
            };
            return;
          }
          upstream.write(message);
        }
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
    const gateway = spawnGateway(build, { DATABASE_URL: viaProxy.toString(), DB_ACQUIRE_TIMEOUT_MS: '120000', JOBS_ENABLED: 'false' });
    try {
      // migrated, its lock's release held: the pool's first session ends (as a failover or a proxy's idle cut would)
      await eventually(async () => releaseUnlock !== undefined || gateway.child.exitCode !== null, 60_000);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and application_name = $1`, [REQUEST_POOL_APPLICATION]);
      await eventually(async () => poolSessionClosed, 30_000);
      releaseUnlock!();
      // the next step's new connect is held unanswered: the signal then
      await eventually(async () => heldConnects > 0 || gateway.child.exitCode !== null, 30_000);
      process.kill(gateway.child.pid!, 'SIGTERM');
      const code = await gateway.exited;
      const lines = gateway.output().split('\n');
      expect({
        code,
        stoppedAt: lines.map((line) => /"msg":"stopping: SIGTERM during start-up \(([^)]+)\)"/.exec(line)?.[1]).find(Boolean),
        stopped: lines.some((line) => line.includes('"msg":"stopped"')),
        errors: lines.filter((line) => /"level":[56]0|Start-up failed/.test(line)),
      }).toEqual({ code: 0, stoppedAt: 'checking the clocks', stopped: true, errors: [] });
    } finally {
      if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
      await admin.end();
      await db.drop();
    }
  }, 240_000);
});
