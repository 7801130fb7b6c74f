/**
 * Loaded with `node --import` into a gateway that bench/startup.ts counts (never into a timed one:
 * the hook costs time): counts the modules the process loads (every `load`, Node's built-ins
 * included, as the colleague's 2,074 counted them) by package, and on SIGUSR2 writes
 * `startup-probe {"modules":n,"byPackage":{...}}` on one line to stderr. bench/startup.ts sends
 * the signal once the gateway has logged "gateway ready".
 */
import { registerHooks } from 'node:module';

const byPackage = new Map<string, number>();
let modules = 0;

/** The package a module URL belongs to: `kysely`, `@mikro-orm/core`, `node:` for built-ins, `own` for the build's files. */
function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  return url.startsWith('node:') ? 'node:' : 'own';
}

registerHooks({
  load(url, context, nextLoad) {
    modules++;
    const name = packageOf(url);
    byPackage.set(name, (byPackage.get(name) ?? 0) + 1);
    return nextLoad(url, context);
  },
});

process.on('SIGUSR2', () => {
  process.stderr.write(`startup-probe ${JSON.stringify({ modules, byPackage: Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1])) })}\n`);
});
