import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The webhook dispatcher is woken by commits whose statements say `insert into outbox_event`
 * (src/db/outbox-commits.ts, dispatch-17): a writer spelled otherwise (`INSERT INTO "outbox_event"`,
 * two spaces, a line break) would be missed, and its partners' webhooks would wait for the
 * dispatcher's fallback run (WEBHOOK_DISPATCH_FALLBACK_MS, 30 s) instead of going out at once.
 */
it('every outbox write in src/ and migrations/ says `insert into outbox_event` as the commit watch reads it', async () => {
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.ts')) files.push(full);
    }
  };
  await walk('src');
  await walk('migrations');
  const writes: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/insert\s+into\s+"?outbox_event\b"?/gi)) writes.push(`${file}: ${m[0]}`);
  }
  expect(writes.length).toBeGreaterThanOrEqual(6);
  expect(writes.filter((w) => !w.endsWith(': insert into outbox_event') && !w.startsWith(path.join('src', 'db', 'outbox-commits.ts')))).toEqual([]);
});
