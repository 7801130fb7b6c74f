import { dispatcherDatabasePerBlock, endpointRemovedByBreak38b } from '../support/dispatcher-database.js';

/** The last migration before `removed_windows` (Migration20261205152000): break38b's `removed_from`/`enabled_from`. */
const BEFORE_WINDOWS = 'Migration20261205151000';

/**
 * break38d (live): Migration20261205152000 turns every `removed_from` into a window
 * `{from: removed_from, to: enabled_from}`, without looking at `disabled_at`. A row with
 * `removed_from` set, `enabled_from` null and `disabled_at` null is an ENABLED endpoint: its removal
 * was made by a break38b instance and its enable by an instance of the build before it (a rolling
 * deploy: that build's enable clears `disabled_at` and moves `receives_from`, and knows nothing of
 * `enabled_from`). break38b's dispatcher sends it everything after that enable (its "removed time"
 * needs both snapshots). After the migration the row has an OPEN window while enabled, and an open
 * window swallows every event not visible in its start: the endpoint reads "Receiving" in the
 * console and is sent nothing, for good (until someone removes and enables it again).
 *
 * What the receiver should see: the event committed after the migration (1 delivery). Sees: none.
 * Fix: the migration closes the window of an endpoint enabled after it (`disabled_at is null`) at
 * its `receives_from` (the enable's snapshot), or at the migration's own `pg_current_snapshot()`.
 */
describe('break38d-live: migrating an endpoint enabled by an older build after a break38b removal', () => {
  const db = dispatcherDatabasePerBlock({ migrateTo: BEFORE_WINDOWS });
  const { sql, dispatch } = db;

  it('is sent what commits after the migration', async () => {
    // removed by a break38b instance ...
    const { customerId, endpointId } = await endpointRemovedByBreak38b(db);
    // ... enabled by an instance of the build before it (break38: a new receives_from, no enabled_from)
    await sql(`update webhook_endpoint set disabled_at = null, generation = generation + 1, receives_from = pg_current_snapshot()::text where id = $1`, [endpointId]);

    await db.orm.migrator.up();
    await sql(`insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"GOLD"}')`, [customerId]);
    await dispatch();
    const deliveries = await sql<{ n: string }>(`select count(*) as n from webhook_delivery where endpoint_id = $1`, [endpointId]);
    const [row] = await sql<{ disabled_at: Date | null; removed_windows: { from: string; to: string | null }[] }>(`select disabled_at, removed_windows from webhook_endpoint where id = $1`, [endpointId]);
    expect(row.disabled_at).toBeNull();
    // Expected 1; received 0: the migrated window {from: removed_from, to: null} is open on an enabled endpoint.
    expect(Number(deliveries[0].n)).toBe(1);
  });
});
