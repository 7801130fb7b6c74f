/**
 * Builds the browser apps (web/, Vite) into dist/web when the build is missing or stale, so that
 * `npm start` and `npm test` always serve the current sources and skip the build when nothing
 * changed (a stamp of web/'s files, the lockfile and this script is kept in dist/web/.stamp).
 * After building it writes:
 *   dist/web/manifests/{web,console}.json  each app's GraphQL operations as an Apollo persisted
 *     query manifest, from GraphQL Code Generator's persisted-documents.json (id = SHA-256 of the
 *     body); the gateway registers them at start (src/persisted/first-party.ts)
 *   dist/web/sizes.json  what each page loads (its entry chunk, the chunks it imports, its CSS),
 *     raw and gzipped bytes
 * Plain JavaScript: it runs before and apart from the TypeScript build. `--force` builds anyway.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Kind, parse } from 'graphql';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'web');
const stampFile = path.join(out, '.stamp');

async function listFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
}

async function sourceStamp() {
  const hash = createHash('sha256');
  const files = [...(await listFiles(path.join(root, 'web'))), path.join(root, 'package-lock.json'), import.meta.filename];
  for (const file of files) hash.update(path.relative(root, file)).update('\0').update(await readFile(file)).update('\0');
  return hash.digest('hex');
}

/** codegen's { hash: body } as an Apollo persisted query manifest. */
function manifestOf(documents) {
  const operations = Object.entries(documents).map(([key, body]) => {
    const id = key.replace(/^sha256:/, '');
    const op = parse(body).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
    if (createHash('sha256').update(body).digest('hex') !== id) throw new Error(`persisted document ${op?.name?.value}: id is not the SHA-256 of its body`);
    return { id, name: op.name.value, type: op.operation, body };
  });
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

/** Bytes each page loads up front: its entry chunk, statically imported chunks and CSS. */
async function pageSizes() {
  const manifest = JSON.parse(await readFile(path.join(out, '.vite', 'manifest.json'), 'utf8'));
  const sizes = {};
  for (const [key, entry] of Object.entries(manifest)) {
    if (!entry.isEntry) continue;
    const seen = new Set();
    const files = new Set();
    const visit = (k) => {
      if (seen.has(k)) return;
      seen.add(k);
      const chunk = manifest[k];
      files.add(chunk.file);
      for (const css of chunk.css ?? []) files.add(css);
      for (const next of chunk.imports ?? []) visit(next);
    };
    visit(key);
    let raw = 0;
    let gzip = 0;
    for (const file of files) {
      const body = await readFile(path.join(out, file));
      raw += body.length;
      gzip += gzipSync(body).length;
    }
    sizes[entry.name ?? key] = { page: key, files: files.size, rawBytes: raw, gzipBytes: gzip };
  }
  return sizes;
}

const stamp = await sourceStamp();
if (!process.argv.includes('--force') && existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) {
  console.log('web app: build is current (dist/web)');
  process.exit(0);
}
const started = performance.now();
const { build } = await import('vite');
await build({ configFile: path.join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
await mkdir(path.join(out, 'manifests'), { recursive: true });
for (const [client, folder] of [['web', 'member'], ['console', 'console']]) {
  const documents = JSON.parse(await readFile(path.join(root, 'web', 'src', folder, 'gql', 'persisted-documents.json'), 'utf8'));
  await writeFile(path.join(out, 'manifests', `${client}.json`), `${JSON.stringify(manifestOf(documents), null, 2)}\n`);
}
const sizes = await pageSizes();
await writeFile(path.join(out, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
await writeFile(stampFile, stamp);
const kb = (n) => `${(n / 1024).toFixed(0)} kB`;
console.log(`web app: built dist/web in ${((performance.now() - started) / 1000).toFixed(1)} s`);
for (const [name, s] of Object.entries(sizes)) console.log(`  ${name.padEnd(9)} ${kb(s.rawBytes).padStart(8)} (${kb(s.gzipBytes)} gzipped) in ${s.files} files`);
