import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { GATEWAY_NODE_FLAGS } from '../../bench/node-flags.js';

/** `npm start`, the container and the benchmarks run the gateway with the same Node flags (bench/node-flags.ts). */
describe('the Node flags the gateway runs with', () => {
  const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

  it('npm start passes every one of them', () => {
    const start = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.start.split(/\s+/);
    for (const flag of GATEWAY_NODE_FLAGS) expect(start).toContain(flag);
  });

  it("the Dockerfile's CMD passes every one of them", () => {
    const cmd = read('Dockerfile')
      .split('\n')
      .find((line) => line.startsWith('CMD '))!;
    const args = JSON.parse(cmd.slice(4)) as string[];
    expect(args[0]).toBe('node');
    for (const flag of GATEWAY_NODE_FLAGS) expect(args).toContain(flag);
  });

  // What a loaded instance does to V8's old generation, in small: ~40 MB live, and a stream of
  // objects that live long enough to be promoted, then die. Without a fixed growing factor V8 may
  // let the old space grow to 4 × the live heap before collecting it (bench/node-flags.ts); with
  // the gateway's flags it stays near 1.5 × live + the young generation. Node refuses to start on a
  // flag it does not know, so this also catches a Node upgrade that drops one.
  it('keep the old generation within a small multiple of the live heap', () => {
    const script = `
      const { getHeapSpaceStatistics } = require('node:v8');
      const oldSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space').space_size;
      const live = [];
      for (let i = 0; i < 120000; i++) live.push({ i, s: 'x'.repeat(40) + i, a: [i, i + 1] });
      const promoted = new Array(20000);
      let peak = 0;
      (async () => {
        for (let round = 0; round < 150; round++) {
          for (let i = 0; i < 20000; i++) promoted[i] = { round, i, s: 'y'.repeat(40) + i, a: [i] };
          if (round % 2 === 0) await new Promise((resolve) => setImmediate(resolve));
          peak = Math.max(peak, oldSpace());
        }
        globalThis.gc();
        console.log(JSON.stringify({ peakOldSpace: peak, live: process.memoryUsage().heapUsed, kept: live.length }));
      })();`;
    const out = execFileSync(process.execPath, [...GATEWAY_NODE_FLAGS, '--expose-gc', '-e', script], { encoding: 'utf8' });
    const { peakOldSpace, live } = JSON.parse(out) as { peakOldSpace: number; live: number };
    expect(live).toBeGreaterThan(30 * 2 ** 20);
    expect(peakOldSpace / live).toBeLessThan(4);
  });
});
