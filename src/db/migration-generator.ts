import { TSMigrationGenerator } from '@mikro-orm/migrations';

/**
 * The SQL objects a `down()` statement creates: `create [or replace] function "name"` and
 * `create trigger "name"` (MikroORM's PostgreSQL output), as `function:name` / `trigger:name`.
 */
const CREATED = /^create\s+(?:or\s+replace\s+)?(function|trigger)\s+"?([^"\s(]+)"?/i;
/** The same objects dropped by an `up()` statement (`drop function|trigger [if exists] "name"`). */
const DROPPED = /^drop\s+(function|trigger)\s+(?:if\s+exists\s+)?"?([^"\s(]+)"?/i;

/**
 * `down` without the triggers and functions that `up` never dropped: MikroORM's `ignoreTriggers`
 * and `ignoreRoutines` (src/db/orm.ts) make its schema diff create-only, and the reverse diff that
 * writes `down()` reads the migrated database's hand-written triggers and functions (the ledger's
 * guard, the money-digit checks, the outbox sequence, raise_refusal, the *_at readers) as objects
 * to create, with empty bodies (`begin ; end;`). Running such a `down()` would replace the ledger's
 * immutability guard with a trigger that guards nothing (newcomer-16; docs/decisions.md,
 * migrate-17). A create that undoes a drop in `up` is kept.
 * @param up the migration's `up()` statements, in order ('' separates groups)
 * @param down the migration's `down()` statements, in the same shape
 * @returns `down` without those statements and without the empty groups they leave
 */
export function withoutRecreatedHandWritten(up: readonly string[], down: readonly string[]): string[] {
  const dropped = new Set(up.flatMap((sql) => {
    const m = DROPPED.exec(sql.trim());
    return m ? [`${m[1].toLowerCase()}:${m[2]}`] : [];
  }));
  const kept = down.filter((sql) => {
    const m = CREATED.exec(sql.trim());
    return !m || dropped.has(`${m[1].toLowerCase()}:${m[2]}`);
  });
  // one '' between groups, none at either end
  const collapsed = kept.filter((sql, i) => sql !== '' || (i > 0 && kept[i - 1] !== ''));
  while (collapsed.at(-1) === '') collapsed.pop();
  return collapsed;
}

/**
 * `npm run migration:create`'s generator (MikroORM's `migrations.generator`): its TypeScript
 * output, with `down()` through `withoutRecreatedHandWritten`. A `down()` left with nothing is
 * left out, as MikroORM does.
 */
export class GatewayMigrationGenerator extends TSMigrationGenerator {
  override generateMigrationFile(className: string, diff: { up: string[]; down: string[] }): string {
    return super.generateMigrationFile(className, { up: diff.up, down: withoutRecreatedHandWritten(diff.up, diff.down) });
  }
}
