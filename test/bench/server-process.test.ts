import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServerProcess } from '../../bench/server-process.js';

/**
 * A bench stopped with Ctrl-C: the terminal's SIGINT reaches the servers too, so when the bench's
 * cleanup stops them they may already be dead while their exit is not yet seen. stop() must then
 * end quietly, not crash the bench with an unhandled `write EPIPE` that skips the rest of its cleanup.
 */
describe('a bench server process', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rg-server-process-'));
    // A server as bench/child.ts announces itself, without the gateway.
    writeFileSync(
      path.join(dir, 'server.cjs'),
      `process.send({ type: 'ready', url: 'http://127.0.0.1:1' });
       process.on('message', (m) => { if (m.type === 'stop') process.exit(0); });
       setInterval(() => {}, 1000);`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops one that is alive', async () => {
    const server = await ServerProcess.start('alive', path.join(dir, 'server.cjs'), {}, { extraFlags: [] });
    await server.stop();
    expect(() => process.kill(server.pid, 0)).toThrow();
  });

  it('stops one that died before its exit was seen, without an unhandled EPIPE', async () => {
    const server = await ServerProcess.start('killed', path.join(dir, 'server.cjs'), {});
    const errors: unknown[] = [];
    const onError = (error: unknown) => errors.push(error);
    process.on('uncaughtException', onError);
    try {
      process.kill(server.pid, 'SIGKILL');
      // Dead, but this process has not yet read its exit nor the IPC channel's close.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors).toEqual([]);
  });
});
