/**
 * The browser apps the gateway serves (docs/architecture.md, "The web app"): the member app at `/`,
 * the staff console at `/console/` and, in development only, the GraphiQL explorer at a browser's
 * GET of `/graphql`. Built into dist/web by scripts/web-build.mjs (run by `npm start` and `npm test`
 * when the build is missing or stale); the gateway serves that folder (src/http/web.ts).
 */
import path from 'node:path';
import { defineConfig } from 'vite';

const root = import.meta.dirname;

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  // JSX through Vite's own transform (tsconfig: react-jsx); no dev server fast refresh needed.
  build: {
    outDir: path.resolve(root, '../dist/web'),
    emptyOutDir: true,
    // No inline polyfill script: the pages' CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    // scripts/web-build.mjs reads it to report what each page loads.
    manifest: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 6000,
    rollupOptions: {
      // Libraries marked for React server components say "use client"; meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
      input: {
        member: path.resolve(root, 'index.html'),
        console: path.resolve(root, 'console/index.html'),
        explorer: path.resolve(root, 'explorer/index.html'),
      },
    },
  },
});
