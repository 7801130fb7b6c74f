import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { eventually } from './program.js';

/** A port no one listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of a test's own, which the test may stall and kill. */
export interface OwnRedis {
  url: string;
  process: ChildProcess;
  /** SIGSTOP: its connections stay open and nothing answers (a network partition, a Redis stuck on a slow command). */
  stall(): void;
  /** SIGCONT: it answers again, what was sent meanwhile first. */
  resume(): void;
  /** Kills it (resumed first, so SIGKILL is not held) and waits for it to exit; again, nothing more. */
  kill(): Promise<void>;
}

/** Starts a redis-server without persistence on a free port, and waits until it answers PING. */
export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  // In a scratch directory: a replica's sync makes even a server with --save '' write dump.rdb where it runs.
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', cwd: mkdtempSync(path.join(os.tmpdir(), 'rg-redis-')) });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  await eventually(async () => (await probe.ping().catch(() => null)) === 'PONG');
  probe.disconnect();
  return {
    url: `redis://127.0.0.1:${port}`,
    process: child,
    stall: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    kill: async () => {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    },
  };
}
