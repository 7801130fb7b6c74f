import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { takeLockFile } from '../../src/db/embedded.js';

/**
 * break34, hostile pass: an unreadable lock file is "held" while its mtime is less than 10 s old,
 * and age is Date.now() − mtime: a file whose mtime is in the future (the clock was stepped back
 * after it was written) counts as younger than 10 s until the clock has caught up with it.
 *
 * How an unreadable lock arises: the lock is linked in without an fsync, so after a power loss or
 * host crash ext4/xfs can leave gateway.pid empty; or it is the empty file a pre-break34 gateway
 * killed between its create and its write left. How the clock goes back: a host whose clock starts
 * behind at boot (no RTC battery, a Raspberry Pi's fake-hwclock restoring the last saved time) until
 * NTP steps it forward; a VM restored from a snapshot.
 *
 * What a user sees: after the crash and reboot, the gateway exits 1 with "DATA_DIR … is being taken
 * by another gateway starting at the same time: start one gateway per DATA_DIR." on every start
 * until the clock has passed the file's mtime (up to the whole time the clock is behind: hours,
 * for ever with no NTP), although no process has touched the file since before the reboot.
 */
describe('break34 hostile: an unreadable lock whose mtime is in the future', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rg-b34c-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('an empty lock written an hour "after now" (the clock since stepped back) is taken', async () => {
    const file = path.join(dir, 'gateway.pid');
    await writeFile(file, '');
    const future = new Date(Date.now() + 3_600_000);
    await utimes(file, future, future);
    const taken = await takeLockFile(file);
    expect('release' in taken ? 'taken' : taken).toBe('taken');
    expect(await readFile(file, 'utf8')).toBe(`${process.pid}\n`);
    if ('release' in taken) await taken.release();
  });
});
