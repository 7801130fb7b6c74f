import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { takeLockFile } from '../../src/db/embedded.js';
import { compiledGateway } from '../support/build.js';

const run = promisify(execFile);

/**
 * break34 (CI): test/db/postgres-user.test.ts failed once under load, one of six concurrent
 * callers answering another uid than the user that was left. Its lock (`takeLockFile`, also
 * DATA_DIR's `gateway.pid`) was created empty and its pid written after: a second process that
 * read it in between took it for a killed run's, removed it and took it too; and two processes that
 * found the same dead holder both removed it, the second removing the lock the first had just
 * taken. Either way two processes held it at once.
 */
describe('a lock file is held by one process at a time (takeLockFile)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rg-lock-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a lock file still being written (empty, fresh) is left to its writer; an empty one older than 10 s is a killed run’s and is taken', async () => {
    const file = path.join(dir, 'fresh.pid');
    await writeFile(file, '');
    expect(await takeLockFile(file)).toEqual({ holder: Number.NaN });
    expect(await readFile(file, 'utf8')).toBe('');
    const old = new Date(Date.now() - 60_000);
    await utimes(file, old, old);
    const taken = await takeLockFile(file);
    expect('release' in taken).toBe(true);
    expect(await readFile(file, 'utf8')).toBe(`${process.pid}\n`);
    if ('release' in taken) await taken.release();
    expect(await readdir(dir)).toEqual([]); // no file of its own left behind
  });

  it('processes racing for a lock a killed run left hold it one after another, never two at once', async () => {
    const build = await compiledGateway();
    const module = path.join(build, 'src/db/embedded.js');
    const file = path.join(dir, 'raced.pid');
    // a killed run's lock: a pid no process has
    const dead = (await run(process.execPath, ['-e', 'console.log(process.pid)'])).stdout.trim();
    for (let round = 0; round < 3; round++) {
      await writeFile(file, `${dead}\n`);
      const script = `
        const { takeLockFile } = await import(${JSON.stringify(module)});
        const until = Date.now() + 20_000;
        for (;;) {
          const taken = await takeLockFile(process.argv[1]);
          if ('release' in taken) {
            const start = Date.now();
            await new Promise((resolve) => setTimeout(resolve, 150));
            const end = Date.now();
            await taken.release();
            console.log(JSON.stringify({ start, end }));
            break;
          }
          if (Date.now() > until) { console.log(JSON.stringify({ gaveUp: taken.holder })); break; }
          await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
        }`;
      const held = await Promise.all(
        Array.from({ length: 6 }, async () => JSON.parse((await run(process.execPath, ['--input-type=module', '-e', script, file])).stdout) as { start: number; end: number }),
      );
      const sorted = [...held].sort((a, b) => a.start - b.start);
      const overlaps = sorted.slice(1).filter((h, i) => h.start < sorted[i].end);
      expect({ round, held: held.length, overlaps }).toEqual({ round, held: 6, overlaps: [] });
    }
    expect((await readdir(dir)).filter((f) => f.startsWith('raced'))).toEqual([]);
  }, 120_000);
});
