import { dispatcherDatabasePerBlock, endpointRemovedByBreak38b } from '../support/dispatcher-database.js';

/** The last migration before `removed_windows` (Migration20261205152000): break38b's `removed_from`/`enabled_from`. */
const BEFORE_WINDOWS = 'Migration20261205151000';

/**
 * break38e (live): an endpoint removed and enabled by a break38b instance (`removed_from`,
 * `enabled_from` both set) and then removed again by an instance of the build before break38b (a
 * rolling deploy, or a rollback: that build sets `disabled_at` only). Migration20261205152000 turns
 * it into a REMOVED endpoint whose only window is CLOSED ({from: removed_from, to: enabled_from}).
 * `receivesEvent` treats any removed endpoint with a window (`jsonb_array_length(removed_windows) > 0`)
 * as "removed with a window: owed what committed before its removal", and no window covers the
 * current removal, so every event committed WHILE IT IS REMOVED gets a delivery (PENDING, then FAILED
 * "The endpoint was removed."), which the operator's "replay failed deliveries" after an enable sends.
 * (`stillOwedAfterRemoval` also keeps its types wanted, from the old window's `from`.)
 *
 * What the user sees: the removed endpoint's delivery list fills with the removed time's events,
 * and a replay after enabling sends them (README: "events of the time it was removed are not sent").
 * What they should see: no delivery for an event committed after the removal.
 * Fix: a removed endpoint is owed pre-removal events only when its LAST window is open
 * (`e.removed_windows->-1->>'to' is null`, in receivesEvent and stillOwedAfterRemoval); an older
 * build's removal of an endpoint with closed windows is then "nothing, as before". (Or the migration
 * opens a window for `disabled_at is not null and enabled_from is not null`.)
 */
describe('break38e-live: migrating an endpoint removed by an older build after a break38b remove/enable', () => {
  const db = dispatcherDatabasePerBlock({ migrateTo: BEFORE_WINDOWS });
  const { sql, dispatch } = db;

  it('is not owed what commits while it is removed', async () => {
    // removed by a break38b instance ...
    const { customerId, endpointId } = await endpointRemovedByBreak38b(db);
    // ... enabled by a break38b instance ...
    await sql(`update webhook_endpoint set disabled_at = null, generation = generation + 1, enabled_from = pg_current_snapshot()::text where id = $1`, [endpointId]);
    // ... removed again by an instance of the build before it (disabled_at only)
    await sql(`update webhook_endpoint set disabled_at = now() where id = $1`, [endpointId]);

    await db.orm.migrator.up();
    // committed while the endpoint is removed
    await sql(`insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"GOLD"}')`, [customerId]);
    await dispatch();
    const [row] = await sql<{ disabled_at: Date | null }>(`select disabled_at from webhook_endpoint where id = $1`, [endpointId]);
    expect(row.disabled_at).not.toBeNull();
    const deliveries = await sql<{ n: string }>(`select count(*) as n from webhook_delivery where endpoint_id = $1`, [endpointId]);
    // Expected 0; received 1: the removed time's event is owed (a delivery to be FAILED, then replayed).
    expect(Number(deliveries[0].n)).toBe(0);
  });
});
