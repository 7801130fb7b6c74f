import { readFileSync } from 'node:fs';
import { loadConfig } from '../../src/config.js';

/**
 * The README sends a new user to .env.example for every setting (COMMON: "README/.env.example must
 * stay true"). newcomer-16 compared it with src/config.ts by hand: every setting was there with its
 * default, but 44 whole-number settings did not say which values start-up takes. This holds all three.
 */
describe('.env.example (newcomer-16)', () => {
  const lines = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8').split('\n');
  const SETTING = /^(# ?)?([A-Z][A-Z0-9_]*)=(.*)$/;

  /**
   * Each setting's line, its value and whether it is commented out, and its block: the comment
   * lines above the run of setting lines it belongs to, and that run (settings written one under
   * another share one comment).
   */
  const settings = new Map<string, { value: string; commented: boolean; block: string }>();
  lines.forEach((line, i) => {
    const m = SETTING.exec(line);
    if (!m) return;
    let top = i;
    while (top > 0 && SETTING.test(lines[top - 1])) top--;
    while (top > 0 && lines[top - 1].startsWith('#') && !SETTING.test(lines[top - 1])) top--;
    let end = i;
    while (end + 1 < lines.length && SETTING.test(lines[end + 1])) end++;
    settings.set(m[2], { value: m[3], commented: Boolean(m[1]), block: lines.slice(top, end + 1).join('\n') });
  });

  /** The names loadConfig reads from its environment. */
  const read = new Set<string>();
  loadConfig(new Proxy({}, { get: (_target, name) => (typeof name === 'string' && read.add(name), undefined) }));

  it('names every setting src/config.ts reads, and nothing else', () => {
    expect([...read].filter((name) => !settings.has(name))).toEqual([]);
    expect([...settings.keys()].filter((name) => !read.has(name))).toEqual([]);
  });

  it('gives each setting it sets its default', () => {
    const defaults = loadConfig({});
    const differ = [...settings].filter(([name, s]) => !s.commented && JSON.stringify(loadConfig({ [name]: s.value })) !== JSON.stringify(defaults));
    expect(differ.map(([name, s]) => `${name}=${s.value}`)).toEqual([]);
  });

  it("states each whole-number setting's range, as start-up's refusal names it", () => {
    const missing: string[] = [];
    for (const name of read) {
      let message = '';
      try {
        loadConfig({ [name]: '-99999999999' });
      } catch (error) {
        message = (error as Error).message;
      }
      const range = /from (\d+) to (\d+)|between (\d+) and (\d+)/.exec(message);
      if (!range) continue;
      const [low, high] = range[1] ? [range[1], range[2]] : [range[3], range[4]];
      // "3 600 000" and "3,600,000" read as the number
      const block = settings.get(name)!.block.replace(/(\d)[ ,](?=\d{3}\b)/g, '$1');
      if (!new RegExp(`\\b${low}\\b`).test(block) || !new RegExp(`\\b${high}\\b`).test(block)) missing.push(`${name} (${low} to ${high})`);
    }
    expect(missing).toEqual([]);
  });
});
