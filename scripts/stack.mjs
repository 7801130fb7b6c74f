/**
 * Leads a stack trace of the bundled gateway (dist/bundle/main.js and its *.mjs chunks, scripts/bundle.mjs) back to
 * src/*.ts lines, offline, from the bundle's source maps: the start runs without
 * --enable-source-maps, which costs ~0.8 s of CPU per start (bundle-26, docs/decisions.md).
 *
 *   node scripts/stack.mjs < stack.txt        (or paste, then Ctrl-D)
 *
 * Each `<path>/bundle/<chunk>.mjs:<line>:<column>` (or `main.js`; a path, or a file: URL) whose `<chunk>.mjs.map`
 * is beside it is replaced by `<source>:<line>:<column>` (source relative to the map, as
 * `../../src/http/server.ts`); other lines pass as they were. Lines and columns are 1-based, as
 * in V8's stack traces. Plain JavaScript: it runs where the image runs, without the build.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const maps = new Map();
/** The source map of `file` (a chunk's path), parsed once; undefined without a `.map` beside it. */
function mapOf(file) {
  if (!maps.has(file)) maps.set(file, existsSync(`${file}.map`) ? new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))) : undefined);
  return maps.get(file);
}

const text = readFileSync(0, 'utf8');
const place = /((?:file:\/\/)?[^\s()'"]*\/bundle\/[^\s()'"/]+\.m?js):(\d+):(\d+)/g;
process.stdout.write(
  text.replace(place, (whole, where, line, column) => {
    const file = where.startsWith('file:') ? fileURLToPath(where) : where;
    const entry = mapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || entry.originalSource === undefined) return whole;
    return `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  }),
);
