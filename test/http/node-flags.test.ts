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
});
