/**
 * Benchmark server process (b): PostGraphile 4 as a library (its node:http request handler) over
 * the same database, the baseline the brief names. It sees the gateway's tables as PostGraphile
 * sees any schema, plus what a PostGraphile project would write by hand for this screen: SQL
 * functions for the signed-in customer, the listings on show to them and their purchase count
 * (PostGraphile's "computed columns"). The customer's identity comes from the same HS256 JWT the
 * gateway accepts; PostGraphile verifies it and hands its claims to SQL as `jwt.claims.*`.
 */
import { createServer } from 'node:http';
import { createRequire, registerHooks } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import type { Plugin } from 'postgraphile';
import { listenOnLoopback, serveChild } from './child.js';
import { POSTGRAPHILE_FUNCTIONS } from './postgraphile-schema.js';

/**
 * PostGraphile 4 needs graphql 15; the gateway's graphql 16 sits at the top of node_modules, so npm
 * nests a copy of graphql 15 (and of graphile-build) under more than one PostGraphile package, and
 * two copies of graphql in one schema fail ("Unexpected input type"). In this process only, every
 * package resolves `graphql` and `graphile-build` as `postgraphile` itself does: one copy of each.
 */
const asPostgraphile = createRequire(createRequire(import.meta.url).resolve('postgraphile'));
const canonical = (name: string) => pathToFileURL(path.dirname(asPostgraphile.resolve(`${name}/package.json`))).href;
const only = [
  { copy: /^.*\/node_modules\/graphql\//, to: `${canonical('graphql')}/` },
  { copy: /^.*\/node_modules\/graphile-build\//, to: `${canonical('graphile-build')}/` },
];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    for (const { copy, to } of only) {
      if (copy.test(resolved.url)) return { ...resolved, url: resolved.url.replace(copy, to) };
    }
    return resolved;
  },
});
const { postgraphile } = await import('postgraphile');
// A CommonJS module whose types declare an ES default export: the default import is module.exports, which is the plugin.
const simplifyInflector = (await import('@graphile-contrib/pg-simplify-inflector')).default as unknown as Plugin;

serveChild(async () => {
  const databaseUrl = process.env.DATABASE_URL!;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env.DB_POOL_MAX ?? 20) });
  await pool.query(POSTGRAPHILE_FUNCTIONS);
  const handler = postgraphile(pool, ['public'], {
    appendPlugins: [simplifyInflector],
    jwtSecret: process.env.JWT_SECRET!,
    // The gateway's tokens carry no audience; PostGraphile wants `postgraphile` unless `audience` is given (and empty).
    jwtVerifyOptions: { algorithms: ['HS256'], audience: undefined },
    // Production settings, as PostGraphile's docs recommend them.
    watchPg: false,
    graphiql: false,
    enhanceGraphiql: false,
    disableQueryLog: true,
    retryOnInitFail: false,
    dynamicJson: true,
    setofFunctionsContainNulls: false,
    ignoreRBAC: false,
    legacyRelations: 'omit',
    disableDefaultMutations: true,
    extendedErrors: [],
    showErrorStack: false,
    bodySizeLimit: '100kB',
  });
  const server = createServer(handler);
  return listenOnLoopback(server, async () => {
    await handler.release();
    await pool.end();
  });
});
