/**
 * Benchmark server process (c): PostGraphile 5 (the `amber` preset, installed as `postgraphile5`
 * beside version 4) over the same database, served by grafserv's node:http adaptor. It sees the
 * gateway's tables plus the same hand-written SQL functions as PostGraphile 4
 * (`bench/postgraphile-schema.ts`). PostGraphile 5 leaves JWT verification to the server; its
 * `lazy-jwt` preset verifies the same HS256 token (jsonwebtoken) and hands the claims to SQL as
 * `jwt.claims.*`, as version 4 does.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { postgraphile } from 'postgraphile5';
import { makePgService } from 'postgraphile5/adaptors/pg';
import { grafserv } from 'postgraphile5/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile5/presets/amber';
import { PgLazyJWTPreset } from 'postgraphile5/presets/lazy-jwt';
import { listenOnLoopback, serveChild } from './child.js';
import { POSTGRAPHILE_FUNCTIONS } from './postgraphile-schema.js';

serveChild(async () => {
  const databaseUrl = process.env.DATABASE_URL!;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env.DB_POOL_MAX ?? 20) });
  await pool.query(POSTGRAPHILE_FUNCTIONS);
  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset, PgLazyJWTPreset],
    pgServices: [makePgService({ pool, schemas: ['public'] })],
    grafserv: {
      graphqlPath: '/graphql',
      graphiql: false,
      watch: false,
      // The gateway's tokens carry no audience; lazy-jwt wants `postgraphile` unless told otherwise.
      pgJwtSecret: process.env.JWT_SECRET!,
      pgJwtVerifyOptions: { algorithms: ['HS256'], audience: undefined },
    },
    grafast: { explain: false },
    schema: { pgForbidSetofFunctionsToReturnNull: true },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = createServer();
  serv.addTo(server);
  await pgl.getSchema();
  return listenOnLoopback(server, async () => {
    await serv.release();
    await pgl.release();
    await pool.end();
  });
});
