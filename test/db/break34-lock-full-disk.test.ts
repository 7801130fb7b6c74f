import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { takeLockFile } from '../../src/db/embedded.js';

const run = promisify(execFile);

/**
 * break34, hostile pass: on a full file system createWhole's own file (`<lock>.<pid>.<hex>`) is
 * created by open(O_EXCL) and its write then fails with ENOSPC; the error is raised before the
 * `try` whose `finally` removes that file, so each failed take leaves one empty file beside the lock.
 *
 * What a user sees: a gateway on a full disk, restarted by its supervisor (each start failing with
 * "DATA_DIR … cannot be written (ENOSPC)"), leaves one `gateway.pid.<pid>.<hex>` in DATA_DIR per
 * start, and they stay there after the disk is freed (nothing ever removes them).
 * Needs root (a 16 kB tmpfs mounted for the test); skipped otherwise.
 */
describe('break34 hostile: taking a lock on a full file system', () => {
  let dir: string;
  let mounted = false;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rg-b34f-'));
    mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]).then(
      () => true,
      () => false,
    );
  });
  afterAll(async () => {
    if (mounted) await run('umount', [dir]);
    await rm(dir, { recursive: true, force: true });
  });

  it('a failed take leaves no file of its own behind', async () => {
    if (!mounted) return; // not root: no tmpfs of our own to fill
    await writeFile(path.join(dir, 'fill'), Buffer.alloc(64 * 1024)).catch(() => undefined); // fills it (ENOSPC part-way)
    const answers: unknown[] = [];
    for (let start = 0; start < 3; start++) answers.push(await takeLockFile(path.join(dir, 'gateway.pid')).catch((error: NodeJS.ErrnoException) => error.code));
    expect({ answers, left: (await readdir(dir)).filter((f) => f !== 'fill') }).toEqual({ answers: ['ENOSPC', 'ENOSPC', 'ENOSPC'], left: [] });
  });
});
