import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { EntityMetadata } from '@mikro-orm/core';
import { Entity, PrimaryKey } from '@mikro-orm/decorators/legacy';
import { MikroORM } from '@mikro-orm/postgresql';
import { ENTITIES } from '../../src/db/entities.js';
import { ormConfig } from '../../src/db/orm.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * The checked-in migrations build exactly the schema the entities describe. The hand-written SQL
 * objects the entity metadata cannot express (the ledger's immutability trigger and the
 * status-at-time function, the outbox's numbering trigger) are the only difference MikroORM sees.
 */
describe('migrations', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(() => t.close());

  it("give every array column the element type its entity says (the schema diff does not compare them: money-12)", async () => {
    // campaign.days_of_week was text[] for an integer[] property: its days came back as strings and matched no day
    const declared: { column: string; type: string }[] = [];
    const all: unknown = t.orm.getMetadata().getAll();
    const metas = (all instanceof Map ? [...all.values()] : Object.values(all as object)) as EntityMetadata[];
    for (const meta of metas) {
      if (!meta.tableName || meta.embeddable || meta.virtual) continue;
      for (const prop of Object.values(meta.properties)) {
        // what the entity declares (`type: 'integer[]'`), which MikroORM's own column type may not follow
        const type = typeof prop.type === 'string' && prop.type.endsWith('[]') ? prop.type : String(prop.columnTypes?.[0] ?? '');
        if (type.endsWith('[]')) declared.push({ column: `${meta.tableName}.${prop.fieldNames[0]}`, type: type.replace(/^integer/, 'int4').replace(/^text/, 'text').replace(/^bigint/, 'int8') });
      }
    }
    expect(declared.length).toBeGreaterThan(5);
    const actual = await t.sql<{ column: string; type: string }>(
      `select table_name || '.' || column_name as column, substr(udt_name, 2) || '[]' as type from information_schema.columns
        where table_schema = current_schema() and data_type = 'ARRAY'`,
    );
    const byColumn = new Map(actual.map((c) => [c.column, c.type]));
    expect(declared.filter((d) => byColumn.get(d.column) !== d.type).map((d) => ({ ...d, actual: byColumn.get(d.column) }))).toEqual([]);
  });

  it('leave nothing for the schema diff but the hand-written trigger and function', async () => {
    const diff = await t.orm.schema.getUpdateSchemaSQL({ wrap: false });
    const statements = diff
      .split(/;\s*\n/)
      .map((s) => s.trim())
      .filter((s) => s && !/ledger_entry_guard|issued_offer_status_at|outbox_event_sequence|ledger_due|point_account_at|customer_balance_at|qualifying_points_at|customer_tier_at|raise_refusal|customer_status_locked|money_digits|^(begin|commit)$|^set names|^\$\$|^end\b/i.test(s));
    const unexpected = statements.filter((s) => !/^(select|when|else|end|\$\$)/i.test(s));
    expect(unexpected).toEqual([]);
  });

  // `npm run migration:create` (README, architecture.md "How a new field travels") diffs the
  // entities against the migrated database. newcomer-16 ran it with no entity changed: it wrote a
  // migration dropping every trigger and function the migrations wrote by hand (the ledger's
  // immutability guard, the money-digit checks, the outbox sequence, raise_refusal, the *_at
  // functions); a developer adding a field would have shipped those drops with it. It also dropped
  // offer_version's generated money_digits_needed, which no entity declared (migrate-17).
  it('has migration:create find nothing to write when no entity changed', async () => {
    const diff = await t.orm.schema.getUpdateSchemaMigrationSQL({ wrap: false });
    expect(diff.up.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)).toEqual([]);
  });

  // The same command with an entity changed: its down() re-created every hand-written trigger and
  // function with an empty body (`begin ; end;`), so rolling the new migration back would have
  // replaced the ledger's immutability guard with one that guards nothing (migrate-17).
  it("has migration:create write a down() that undoes its up() and nothing else", async () => {
    @Entity({ tableName: 'migration_probe' })
    class MigrationProbe {
      @PrimaryKey({ type: 'integer' })
      id!: number;
    }
    const orm = await MikroORM.init({ ...ormConfig({ url: t.databaseUrl, poolMax: 1 }), entities: [...ENTITIES, MigrationProbe] });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rg-migration-test-'));
    try {
      const { fileName } = await orm.migrator.create(dir);
      const code = await readFile(path.join(dir, fileName), 'utf8');
      const statements = (part: 'up' | 'down') =>
        [...code.slice(code.indexOf(`override ${part}()`)).split(/override (?:up|down)\(\)/)[1].matchAll(/this\.addSql\(`([^`]*)`\)/g)].map((m) => m[1]);
      expect(statements('up')).toEqual([`create table "migration_probe" ("id" serial primary key);`]);
      expect(statements('down')).toEqual([`drop table if exists "migration_probe" cascade;`]);
    } finally {
      await orm.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('guard the ledger: entries cannot be deleted, and only their remainder may shrink', async () => {
    await t.sql(`insert into point_currency (code, name, point_value, money_currency) values ('GUARD', 'g', 1, 'EUR')`);
    const [c] = await t.sql<{ id: string }>(`insert into customer (external_id) values ('guard') returning id`);
    const [a] = await t.sql<{ id: string }>(`insert into point_account (customer_id, currency_code, available) values ($1, 'GUARD', 10) returning id`, [c.id]);
    const [e] = await t.sql<{ id: string }>(
      `insert into ledger_entry (account_id, customer_id, amount, kind, source_type, balance_after, remaining) values ($1, $2, 10, 'EARN', 'SEED', 10, 10) returning id`,
      [a.id, c.id],
    );
    await expect(t.sql(`delete from ledger_entry where id = $1`, [e.id])).rejects.toThrow(/cannot be deleted/);
    await expect(t.sql(`update ledger_entry set amount = 11 where id = $1`, [e.id])).rejects.toThrow(/immutable/);
    // an open remainder never grows: the guard trigger, or the remaining-within-amount check, refuses it
    await expect(t.sql(`update ledger_entry set remaining = 11 where id = $1`, [e.id])).rejects.toThrow(/immutable|ledger_entry_remaining_range/);
    await t.sql(`update ledger_entry set remaining = 4 where id = $1`, [e.id]);
    await expect(t.sql(`update point_account set available = -1 where id = $1`, [a.id])).rejects.toThrow(/point_account_available_non_negative/);
  });
});
