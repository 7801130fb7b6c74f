import { TEST_SQL_APPLICATION, type TestGateway } from './gateway.js';
import { answered } from './locks.js';
import { eventually } from './program.js';
import { holdAnswers } from './statements.js';

/**
 * Ends every PostgreSQL session of the gateway (as a failover, an operator's
 * `pg_terminate_backend` or a proxy's idle cut does) from the test's own connection, and waits
 * until they are gone from the server and a moment more, so the gateway's sockets have heard.
 */
export async function endGatewaySessions(t: TestGateway): Promise<void> {
  const pids = (
    await t.sql<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and application_name <> $1`,
      [TEST_SQL_APPLICATION],
    )
  ).map((r) => r.pid);
  await t.sql(`select pg_terminate_backend(pid) from unnest($1::int[]) as pid`, [pids]);
  // Gone from the server (the event relay connects again on its own), and heard of by the gateway's sockets (the same process) a moment later.
  await eventually(async () => (await t.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = any($1::int[])`, [pids]))[0].n === 0);
  await new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * Runs `request` with the first statement matching `matches` held before it is sent, on the
 * connection the pool lent it; meanwhile ends every session of the gateway (`endGatewaySessions`);
 * then lets the statement go, on its now dead connection. With `times` > 1 the next matching
 * statement (the retry's, on the connection the gateway took next) is held and ended alike, and so
 * on (a failover ending sessions one after another, or an idle one the pool has not heard of yet).
 * Answers what `request` answered.
 */
export async function onADeadConnection<R>(t: TestGateway, matches: (text: string) => boolean, request: () => Promise<R>, times = 1): Promise<R> {
  let held = holdAnswers(matches, 'statement');
  const running = request();
  for (let time = 1; ; time++) {
    await answered(held.reached);
    await endGatewaySessions(t);
    // release puts back pg's query as it found it: the next hold goes on after it, before the retry's statement is sent
    held.release();
    if (time === times) return answered(running);
    held = holdAnswers(matches, 'statement');
  }
}
