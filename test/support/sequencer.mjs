// The order jest hands test files to its workers (jest.config.js `testSequencer`). Plain JavaScript:
// jest loads it outside the tests' TypeScript hooks.
//
// Why not jest's own order: it runs files that failed last time first, then by the last run's
// durations, longest first, and by file size only when it has no record. On this suite either
// record bunches the browser files (test/web, *.browser.test.ts: a Chromium each, the longest files)
// together: longest-first starts all of them at once, and a record left by a broken run put
// test/web's 31 files one after another. Three workers each driving a Chromium on two cores ran the
// browser files 40 % slower (suite-30: 866 s of browser-file time against 611 s in size order, jest
// 847 s against 801 s), and which order CI got depended on what a cache directory held.
//
// This order is the same on every run: each group by file size, largest first (jest's order
// without a record), and the browser files spread evenly through the others, so a worker meets one
// about every (files ÷ browser files) files and the three rarely drive Chromiums at once.
import { statSync } from 'node:fs';
import TestSequencer from '@jest/test-sequencer';

/** @typedef {{ path: string }} TestFile */

/** Whether `test` is a browser test file (it drives the worker's Chromium). */
const isBrowserFile = (/** @type {TestFile} */ test) => test.path.endsWith('.browser.test.ts');

export default class SpreadBrowserFiles extends TestSequencer {
  /**
   * @param {TestFile[]} tests the files to run
   * @returns {TestFile[]} the same files: the others by size, largest first, with the browser files
   *   (by size, largest first) placed at even intervals among them, the first browser file first
   */
  sort(tests) {
    const size = new Map(tests.map((test) => [test.path, statSync(test.path).size]));
    const bySize = (/** @type {TestFile} */ a, /** @type {TestFile} */ b) => size.get(b.path) - size.get(a.path) || (a.path < b.path ? -1 : 1);
    const browser = tests.filter(isBrowserFile).sort(bySize);
    const others = tests.filter((test) => !isBrowserFile(test)).sort(bySize);
    if (browser.length === 0) return others;
    const every = (browser.length + others.length) / browser.length;
    const ordered = [];
    let next = 0;
    for (let i = 0; i < browser.length; i++) {
      const before = Math.round(i * every) - i; // others placed before the i-th browser file
      while (next < before && next < others.length) ordered.push(others[next++]);
      ordered.push(browser[i]);
    }
    while (next < others.length) ordered.push(others[next++]);
    return ordered;
  }
}
