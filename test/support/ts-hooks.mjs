// Lets plain Node load the project's TypeScript: the test files themselves (jest-light-runner runs
// them in Node's own ESM loader, with this file in jest's `setupFiles`) and a child process (a
// second gateway in tests: node --import ./test/support/ts-hooks.mjs file.ts). `./x.js` imports
// resolve to `./x.ts`, compiled by swc with legacy decorators and their metadata, as tsc does.
// The metadata calls swc emits need `Reflect.metadata` before the first decorated class loads,
// whichever module a test imports first (src/main.ts's graph loads reflect-metadata first itself).
import 'reflect-metadata';
import { transformSync } from '@swc/core';
import { existsSync, readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (/^\.{1,2}\//.test(specifier) && specifier.endsWith('.js') && context.parentURL?.startsWith('file:')) {
      const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (!existsSync(fileURLToPath(new URL(specifier, context.parentURL))) && existsSync(fileURLToPath(candidate))) {
        return { url: candidate.href, shortCircuit: true, format: 'module' };
      }
    }
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    // jest-light-runner imports each test file with a `?<time>` query
    const file = url.startsWith('file:') ? fileURLToPath(url) : '';
    if (!file.endsWith('.ts')) return nextLoad(url, context);
    const { code } = transformSync(readFileSync(file, 'utf8'), {
      filename: file,
      jsc: {
        target: 'es2023',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    });
    return { format: 'module', source: code, shortCircuit: true };
  },
});
