import 'reflect-metadata';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { MIGRATIONS } from '../../migrations/index.js';
import { ENTITIES } from './entities.js';
import { prepareParameterisedStatements } from './prepared.js';

// Points and ids are bigint columns; every value the program handles fits a JS number exactly,
// so read int8 as a number rather than a string.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface OrmOptions {
  url: string;
  poolMax: number;
  debug?: boolean;
}

export function ormConfig({ url, poolMax, debug = false }: OrmOptions) {
  return defineConfig({
    clientUrl: url,
    entities: ENTITIES,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    pool: { min: 1, max: poolMax },
    driverOptions: {
      onPoolCreated: (pool: pg.Pool) => pool.on('connect', (client) => prepareParameterisedStatements(client)),
    },
    debug,
    // Request handlers always fork; touching the global EntityManager is a bug.
    allowGlobalContext: false,
    migrations: {
      tableName: 'mikro_orm_migrations',
      path: 'migrations',
      pathTs: 'migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
    },
  });
}

export async function openOrm(options: OrmOptions): Promise<MikroORM> {
  return MikroORM.init(ormConfig(options));
}

/** Applies every pending migration; returns the names it applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}

export async function pendingMigrations(orm: MikroORM): Promise<number> {
  return (await orm.migrator.getPending()).length;
}
