import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { commandRuns } from '../support/processes.js';
import { compiledGateway } from '../support/build.js';

const run = promisify(execFile);

const hasStrace = commandRuns('strace', ['-V']);

/**
 * break34, hostile pass: the takeover guard (`<lock>.takeover`) is only exclusive for 10 s. A taker
 * that holds it and has read the dead run's pid, then stalls for over 10 s before its unlink of the
 * lock (an unlink blocked on an NFS/SMB DATA_DIR during a server fail-over, a swapping host, a
 * Ctrl-Z'd `npm start`, a paused container), has its guard removed as "left by a killed process":
 * a second process takes the guard, removes the dead lock and takes the lock. When the first
 * resumes, its unlink removes the second's live lock, and it takes the lock too.
 *
 * What a user sees: two gateways both past "DATA_DIR is in use" on one DATA_DIR (both go on to
 * recover "a stale server" and start PostgreSQL on the same cluster), or two `useradd postgres`
 * at once (the race ci-29's lock was to close). The stall here is strace delaying the first
 * taker's unlink(<lock>) by 11 s.
 */
(hasStrace ? describe : describe.skip)('break34 hostile: a taker stalled while holding the takeover guard', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rg-b34s-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('two processes never hold the lock at once, however long one stalls between its steps', async () => {
    const module = path.join(await compiledGateway(), 'src/db/embedded.js');
    const file = path.join(dir, 'gateway.pid');
    const dead = (await run(process.execPath, ['-e', 'console.log(process.pid)'])).stdout.trim();
    await writeFile(file, `${dead}\n`); // a killed run's lock
    // each holds the lock 3 s once taken, and prints when it held it
    const script = `
      const { takeLockFile } = await import(${JSON.stringify(module)});
      const until = Date.now() + 40_000;
      for (;;) {
        const taken = await takeLockFile(process.argv[1]);
        if ('release' in taken) {
          const start = Date.now();
          await new Promise((resolve) => setTimeout(resolve, 3000));
          const end = Date.now();
          await taken.release();
          console.log(JSON.stringify({ start, end }));
          break;
        }
        if (Date.now() > until) { console.log(JSON.stringify({ gaveUp: taken.holder })); break; }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }`;
    const holds = (command: string, args: string[]) =>
      new Promise<{ start: number; end: number }>((resolve, reject) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (c) => (out += c));
        child.on('exit', () => {
          try {
            resolve(JSON.parse(out.trim().split('\n').pop()!) as { start: number; end: number });
          } catch (error) {
            reject(new Error(`${String(error)}: ${out}`));
          }
        });
      });
    // the first taker stalls 11 s on entering its unlink of the dead run's lock (inside the guard)
    const stalled = holds('strace', ['-f', '-qq', '-o', '/dev/null', '-P', file, '-e', 'trace=unlink', '-e', 'inject=unlink:delay_enter=11000000:when=1', process.execPath, '--input-type=module', '-e', script, file]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const second = holds(process.execPath, ['--input-type=module', '-e', script, file]);
    const held = await Promise.all([stalled, second]);
    const [a, b] = [...held].sort((x, y) => x.start - y.start);
    expect({ both: held.every((h) => 'start' in h), overlapMs: Math.max(0, a.end - b.start) }).toEqual({ both: true, overlapMs: 0 });
  }, 90_000);
});
