import { dispatcherDatabasePerBlock } from '../support/dispatcher-database.js';

/**
 * break38e (live): pruneRemovalWindows locks, in the dispatcher's transaction, every endpoint row with
 * a window read past, in the order of a sequential scan (the heap's: an endpoint updated since sits
 * after one that was not). revokePartner's `update webhook_endpoint ... where partner_id = $1` locks a
 * partner's endpoints in its own order (here the partner index's, by id). Two endpoints of one
 * partner, both with closed windows: the prune holds one and waits for the other, the revocation holds
 * the other and waits for the first: a deadlock, and PostgreSQL aborts one of them (the revocation's
 * mutation answers an internal error, or the dispatch run fails and is retried).
 *
 * What the user sees: `deadlock detected` from one of the two. Should see: both commit (the prune
 * takes its rows in id order with `for update skip locked`, or leaves rows another holds for the next
 * run, as clearStaleFailingMarks does).
 */
describe('break38e-live: the removal windows prune against a partner revocation', () => {
  const db = dispatcherDatabasePerBlock({ poolMax: 6 });
  const { sql, dispatch } = db;

  /** Until `n` sessions of this database wait on a lock (no timing: the order of the waits is the test). */
  const waitersOnLocks = async (n: number) => {
    for (;;) {
      const [{ waiting }] = await sql<{ waiting: number }>(`select count(*)::int as waiting from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      if (waiting >= n) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('lets both commit', async () => {
    const [{ id: customerId }] = await sql<{ id: string }>(`insert into customer (external_id) values ('d1') returning id`);
    const [{ id: partnerId }] = await sql<{ id: string }>(`insert into partner (name, key_prefix, key_hash, scopes) values ('p', 'rg_x', 'h1', '{}') returning id`);
    const endpoint = async (n: number) =>
      (
        await sql<{ id: string }>(
          `insert into webhook_endpoint (partner_id, url, event_types, secret, created_by, created_at, receives_from)
           values ($1, $2, '{tier.changed}', 'whsec_dGVzdA==', 'test', now(), pg_current_snapshot()::text) returning id`,
          [partnerId, `http://127.0.0.1:9/hook${n}`],
        )
      )[0].id;
    const a = await endpoint(1);
    const b = await endpoint(2);
    expect(await dispatch()).toBe(0);
    // each removed and enabled (closed windows), b first, so a's row is the later in the heap
    for (const id of [b, a]) {
      await sql(`update webhook_endpoint e set disabled_at = now(), removed_windows = e.removed_windows || jsonb_build_array(jsonb_build_object('from', pg_current_snapshot()::text, 'to', null)) where id = $1`, [id]);
      await sql(
        `update webhook_endpoint e set disabled_at = null, removed_windows = jsonb_set(e.removed_windows, array[(jsonb_array_length(e.removed_windows) - 1)::text, 'to'], to_jsonb(pg_current_snapshot()::text)) where id = $1`,
        [id],
      );
    }
    await sql(`insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"GOLD"}')`, [customerId]);
    await dispatch(); // reads it; the windows are not yet read past
    await sql(`insert into outbox_event (topic, customer_id, payload) values ('TIER_CHANGED', $1, '{"to":"SILVER"}')`, [customerId]);
    const order = await sql<{ id: string }>(`select id from webhook_endpoint order by ctid`);
    const first = order[0].id; // the prune's first row

    // Another transaction holds the prune's first row a moment (a 2xx clearing failing_since, an enable).
    const holder = await db.pool.connect();
    const revoker = await db.pool.connect();
    try {
      await holder.query('begin');
      await holder.query(`select 1 from webhook_endpoint where id = $1 for no key update`, [first]);
      let settled = false;
      const running = dispatch().then(
        () => 'ok',
        (e: Error) => e.message,
      ).finally(() => (settled = true));
      // Before the mend the prune waits on `first`; once mended it skips it (its window waits for the next run) and ends.
      await Promise.race([running, waitersOnLocks(1)]);
      await revoker.query('begin');
      const revoking = revoker
        .query(`update webhook_endpoint set disabled_at = coalesce(disabled_at, now()) where partner_id = $1`, [partnerId]) // revokePartner's
        .then(
          async () => (await revoker.query('commit'), 'ok'),
          async (e: Error) => (await revoker.query('rollback'), e.message),
        );
      await waitersOnLocks(settled ? 1 : 2); // the revocation waits on `first` (and, unmended, holds the other row the prune waits for)
      await holder.query('commit');
      // Expected both 'ok'; one answers 'deadlock detected'.
      expect(await Promise.all([running, revoking])).toEqual(['ok', 'ok']);
    } finally {
      holder.release();
      revoker.release();
    }
  });
});
