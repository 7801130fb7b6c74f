import { Migration } from '@mikro-orm/migrations';

/**
 * The statement that gives every createTier idempotency record without an answer (`create:tier`,
 * `result` null: every tier created before money-25 stored none) the answer a repeat of the request
 * gets: `{ id, customersMoved, moves }`, the tier's id and what the tier's audit entry (its first
 * `createTier` entry) says it moved, as the repeat read it from there until now; 0 and [] where the
 * entry says nothing (tiers from before money-24 recorded no `moves`, or no figures at all). A
 * record that has an answer is left as it is. Fixed here, not imported: a migration must mean the
 * same forever.
 */
export const TIER_ANSWERS_SQL = `update idempotency_record r
   set result = jsonb_build_object('id', t.id,
                                   'customersMoved', coalesce((a.details->>'customersMoved')::int, 0),
                                   'moves', coalesce(a.details->'moves', '[]'::jsonb))
  from tier t
  left join lateral (select e.details from audit_entry e
                      where e.action = 'createTier' and e.target = 'Tier:' || t.id
                      order by e.id limit 1) a on true
 where r.scope = 'create:tier' and r.key = t.code and r.result is null`;

/**
 * money-25: a repeat of a createTier answers from its idempotency record, as every keyed mutation
 * does (it read the audit entry's details instead). The records of tiers created before get their
 * answer from those details once, so their repeats answer what they answered before.
 */
export class Migration20261203160000 extends Migration {
  override name = 'Migration20261203160000';

  override up(): void | Promise<void> {
    this.addSql(TIER_ANSWERS_SQL);
  }

  override down(): void | Promise<void> {
    // the answers stay: the gateway before this never reads a create:tier record's answer
  }
}
