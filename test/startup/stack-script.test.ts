import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { compiledGateway } from '../support/build.js';

/**
 * `node scripts/stack.mjs` leads a stack trace of the bundled gateway back to src/*.ts (README,
 * "Stack traces"). Its chunks are `.mjs` since start-44 (scripts/bundle.mjs): a frame in one must
 * still be led back, as one in `main.js` is.
 */
describe('scripts/stack.mjs reads a stack of the bundle', () => {
  it("leads a frame in a chunk (`run-gateway-<hash>.mjs:line:column`) back to its src/*.ts line, and leaves other lines as they were", async () => {
    const bundle = path.join(await compiledGateway(), 'bundle');
    const chunk = readdirSync(bundle).find((f) => /^run-gateway-.*\.mjs$/.test(f));
    expect(chunk).toBeDefined();
    const file = path.join(bundle, chunk!);
    const map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    // a line of the chunk that came from src/http/server.ts, and where it came from
    const lines = readFileSync(file, 'utf8').split('\n');
    let at: { line: number; column: number; source: string; originalLine: number; originalColumn: number } | undefined;
    for (let line = 0; line < lines.length && !at; line++) {
      const column = lines[line].search(/\S/);
      if (column < 0) continue;
      const entry = map.findEntry(line, column);
      if ('originalSource' in entry && entry.originalSource?.endsWith('src/http/server.ts') && entry.generatedLine === line && entry.generatedColumn === column)
        at = { line, column, source: entry.originalSource, originalLine: entry.originalLine, originalColumn: entry.originalColumn };
    }
    expect(at).toBeDefined();
    const stack = `Error: boom\n    at openGateway (file://${file}:${at!.line + 1}:${at!.column + 1})\n    at node:internal/process/task_queues:105:5\n`;
    const child = promisify(execFile)(process.execPath, [path.resolve('scripts/stack.mjs')]);
    child.child.stdin!.end(stack);
    const { stdout } = await child;
    expect(stdout.split('\n')).toEqual([
      'Error: boom',
      `    at openGateway (${at!.source}:${at!.originalLine + 1}:${at!.originalColumn + 1})`,
      '    at node:internal/process/task_queues:105:5',
      '',
    ]);
    expect(at!.source).toMatch(/^(\.\.\/)+src\/http\/server\.ts$/);
  });
});
