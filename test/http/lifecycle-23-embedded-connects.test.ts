import { createHash } from 'node:crypto';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compiledGateway } from '../support/build.js';
import { onDataDir, postgresProcessesFor, stopReport } from '../support/processes.js';

const SECRET = 'lifecycle-23';

/**
 * A RADIUS server (RFC 2865) on loopback for the embedded PostgreSQL's authentication: it answers
 * Access-Reject at once to a request whose password is `answered` (the readiness probe's: a refusal
 * from the server itself is "up") and holds every other one unanswered (PostgreSQL then waits its
 * RADIUS timeout, 3 s, with the client's connect under way). `held` lists the passwords held.
 */
async function radiusServer(answered: string) {
  const held: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (packet, from) => {
    const authenticator = packet.subarray(4, 20);
    let password = '';
    for (let at = 20; at + 2 <= packet.length && packet[at + 1] >= 2; at += packet[at + 1]) {
      if (packet[at] !== 2) continue; // User-Password, its first 16 bytes XOR MD5(secret + request authenticator)
      const mask = createHash('md5').update(SECRET).update(authenticator).digest();
      password = Buffer.from(packet.subarray(at + 2, at + 18).map((byte, i) => byte ^ mask[i])).toString('utf8').replace(/\0+$/, '');
    }
    if (password !== answered) return void held.push(password);
    const reply = Buffer.alloc(20);
    reply[0] = 3; // Access-Reject
    reply[1] = packet[1];
    reply.writeUInt16BE(20, 2);
    createHash('md5').update(reply.subarray(0, 4)).update(authenticator).update(SECRET).digest().copy(reply, 4);
    socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, held, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}

/**
 * lifecycle-23 (lifecycle-21 left it): the embedded database's connects at the start that a stop
 * signal did not cut. After its readiness probe, the gateway connects to the new server to create
 * its database (`ensureDatabase`), a connect with no bound and no cut: a SIGTERM then waited for the
 * server's answer, and the connect's failure, when it came, read as a failed start ("start-up failed
 * while stopping", exit 1). Here the server authenticates through a RADIUS server of the test's
 * (pg_hba.conf of a copy of the run's seeded DATA_DIR), which holds that connect's request: the
 * server waits its RADIUS timeout with the connect under way when the SIGTERM comes. The compiled
 * gateway, on that DATA_DIR.
 */
describe("a stop while the embedded database's start-up connects (lifecycle-23)", () => {
  let build: string;
  beforeAll(async () => {
    build = await compiledGateway();
  }, 600_000);

  it('cuts the connect that creates the database: exit 0, "stopped", no error, no PostgreSQL left', async () => {
    const radius = await radiusServer('probe');
    try {
      await onDataDir(
        build,
        async (dataDir, start) => {
          const hba = path.join(dataDir, 'pg', 'pg_hba.conf');
          expect(existsSync(hba)).toBe(true);
          const local = (await readFile(hba, 'utf8')).split('\n').filter((line) => /^\s*local\s/.test(line));
          await writeFile(hba, [...local, `host all all 127.0.0.1/32 radius radiusservers=127.0.0.1 radiussecrets=${SECRET} radiusports=${radius.port}`, ''].join('\n'));
          const gateway = start();
          try {
            await gateway.until(/"msg":"starting embedded PostgreSQL"/);
            while (!radius.held.length && gateway.child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 10));
            process.kill(gateway.child.pid!, 'SIGTERM');
            const ended = stopReport(gateway, await gateway.exited);
            expect({ held: radius.held, ...ended, postgresLeft: postgresProcessesFor(dataDir) }).toEqual({ held: ['embedded'], code: 0, stoppedAt: 'starting embedded PostgreSQL', stopped: true, errors: [], postgresLeft: [] });
          } finally {
            if (gateway.child.exitCode === null && gateway.child.signalCode === null) gateway.child.kill('SIGKILL');
          }
        },
        { seeded: true },
      );
    } finally {
      await radius.close();
    }
  }, 240_000);
});
