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
 *
 * `--heap-growing-percent=50`: after each full collection V8 lets the old generation grow to
 * (live heap × a factor) before the next one, the factor chosen from how fast it collected against
 * how fast the program promoted objects, between 1.1 and 4.0. Under the mixed load the gateway's
 * live heap is ~50 MB, and about one instance in three measured a slow collection once (two cores
 * shared with PostgreSQL and the other instance) and got 4.0: its old space grew to 150–165 MB of
 * garbage before the next full collection, RSS to 260–300 MB, and RSS stays there (V8 keeps the
 * freed pages). 50 fixes the factor at 1.5: old space ≤ ~1.5 × live + the young generation, a
 * full collection (pauses ~20 ms, marking mostly concurrent) every 3–12 s under that load.
 * bench/README.md "Issue 12 (third session): peak RSS" has the A/B. Node refuses this flag in
 * NODE_OPTIONS: it must be passed to `node` itself.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--heap-growing-percent=50'];
