// The order jest hands test files to its workers (jest.config.js `testSequencer`). Plain JavaScript:
// jest loads it outside the tests' TypeScript hooks.
//
// jest's own order runs files that failed last time first, then by the last run's durations,
// longest first, and by file size only when its cache directory holds no record. On this suite a
// record bunches the browser files (test/web, *.browser.test.ts: a Chromium each, and the longest
// files): longest-first starts them together, and a record left by a broken run put test/web's 31
// files one after another. Three workers driving three Chromiums on two cores ran them 40 % slower
// (suite-30: 866 s of browser-file time against 611 s in size order; jest 847 s against 801 s), and
// which order a run got depended on what the cache directory held.
//
// This order is jest's order without a record, on every run: by file size, largest first (ties by
// path), with the browser files (*.browser.test.ts) spread evenly through it rather than where their
// size puts them (suite-41). By size alone the browser files, among the largest, started together
// and held each worker at once; they wait on timers, back-offs and Chromium, and the machine sat
// partly idle while they ran, then short of CPU once only the gateway files were left. Spread, each
// worker's next file is as likely one as the other. Whole run, three workers, the same tree: 1,273 s
// by size, 1,159 s spread, 93 % busy (docs/decisions.md, suite-41). A failed file is not run first
// the next time (`--onlyFailures` runs only those).
import TestSequencer from '@jest/test-sequencer';

export default class BySize extends TestSequencer {
  /**
   * @param {{ path: string, context: { hasteFS: { getSize(path: string): number | null } } }[]} tests
   *   the files to run; their sizes in bytes come from jest's file map, as in jest's own order
   * @returns {{ path: string }[]} the same files, largest first, the browser files spread among the others
   */
  sort(tests) {
    const size = new Map(tests.map((test) => [test.path, test.context.hasteFS.getSize(test.path) ?? 0]));
    const bySize = [...tests].sort((a, b) => size.get(b.path) - size.get(a.path) || (a.path < b.path ? -1 : 1));
    const isBrowser = (test) => test.path.endsWith('.browser.test.ts');
    const browser = bySize.filter(isBrowser);
    const rest = bySize.filter((test) => !isBrowser(test));
    // each next file from the list that has had the smaller share of its files handed out so far
    const order = [];
    let b = 0;
    let r = 0;
    while (b < browser.length || r < rest.length) {
      if (b < browser.length && (r >= rest.length || b / browser.length <= r / rest.length)) order.push(browser[b++]);
      else order.push(rest[r++]);
    }
    return order;
  }
}
