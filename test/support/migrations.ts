import type { Migration } from '@mikro-orm/migrations';
import type { TestGateway } from './gateway.js';

/** A migration class of migrations/ (`new Migration2026…(driver, config)`). */
type MigrationClass = new (driver: TestGateway['orm']['driver'], config: TestGateway['orm']['config']) => Migration;

/**
 * Runs one migration's `up` or `down` on a test gateway's database as the migrator would: its
 * statements one after another, outside a transaction of the test's. A migration test uses it to
 * make "the database before the migration" (`down`, then rows written the old way, then `up`).
 * Throws when a statement is not plain SQL (the project's migrations are) or when one fails.
 */
export async function runMigration(t: TestGateway, migrationClass: MigrationClass, direction: 'up' | 'down'): Promise<void> {
  const migration = new migrationClass(t.orm.driver, t.orm.config);
  await migration[direction]();
  for (const statement of migration.getQueries()) {
    if (typeof statement !== 'string') throw new Error('the migration is plain SQL');
    await t.sql(statement);
  }
}
