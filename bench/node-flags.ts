/**
 * The Node flags the gateway runs with: `npm start` (package.json) and the Dockerfile's CMD pass
 * the same (test/http/node-flags.test.ts checks they agree), and the benchmarks start every Node
 * server they measure with them, so a bench measures the gateway as it is run.
 *
 * `--max-semi-space-size=8` (MB): V8's young generation grows to 2 × 32 MB by default on Node 24,
 * and under load it stays that size: `npm run bench:mixed` (30 s, two instances) peaked at 293–298
 * MB of RSS per instance with the default and 190–192 MB with 8 MB, at the same throughput
 * (212.8 and 250.0 answered/s in that A/B, load 4–5); issue 12 asks under 250 MB. Smaller
 * semi-spaces mean more frequent scavenges, which the same A/B did not show in throughput.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
