import { query, sql, statement } from '../../src/db/sql.js';
import { recordStatements } from '../support/statements.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/**
 * `statement` (src/db/sql.ts) builds a statement's text once and binds each call's own values: the
 * page's three statements go through it (issue 12, third session). What must hold: every call
 * answers for its own arguments (nothing of the first call is kept but the text), a call inside a
 * transaction sees that transaction, constants of the text stay as written, and a build function
 * that computes with an argument fails instead of sending a wrong value.
 */
describe('statements built once', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
    await t.sql(`create table statement_probe (id int primary key, label text not null)`);
    await t.sql(`insert into statement_probe values (1, 'one'), (2, 'two'), (3, 'three')`);
  });
  afterAll(() => t.close());

  it('answers each call with its own values, over one text', async () => {
    const between = statement((low: number, high: number) => sql<{ label: string }>`select label from statement_probe where id >= ${low} and id <= ${high} and ${'x'} = 'x' order by id`);
    const recorder = recordStatements();
    let answers;
    try {
      answers = [await between.run(t.orm.em.fork(), 1, 2), await between.run(t.orm.em.fork(), 2, 3), await between.run(t.orm.em.fork(), 3, 3)];
    } finally {
      recorder.stop();
    }
    expect(answers.map((rows) => rows.map((r) => r.label))).toEqual([['one', 'two'], ['two', 'three'], ['three']]);
    const sent = recorder.take().filter((s) => s.text.includes('statement_probe'));
    expect(sent.map((s) => s.values)).toEqual([[1, 2, 'x'], [2, 3, 'x'], [3, 3, 'x']]);
    expect(new Set(sent.map((s) => s.text)).size).toBe(1);
  });

  it('runs inside the EntityManager transaction when there is one', async () => {
    const label = statement((id: number) => sql<{ label: string }>`select label from statement_probe where id = ${id}`);
    const seen = await t.orm.em.fork().transactional(async (em) => {
      await query(em, sql`insert into statement_probe values (4, 'four')`);
      return label.run(em, 4);
    });
    expect(seen).toEqual([{ label: 'four' }]);
    // and outside it, on its own connection, when the EntityManager has none
    await t.orm.em.fork().transactional(async (em) => {
      await query(em, sql`insert into statement_probe values (5, 'five')`);
      expect(await label.run(t.orm.em.fork(), 5)).toEqual([]);
    });
  });

  it('refuses a build function that computes with an argument', async () => {
    const limited = statement((limit: number) => sql<{ label: string }>`select label from statement_probe limit ${limit + 1}`);
    await expect(limited.run(t.orm.em.fork(), 1)).rejects.toThrow(/used as a value while its text was built/);
  });
  // src/db/prepared.ts reads a parameterised statement's rows as arrays and makes the objects
  // itself (one shape per statement); every caller must get what pg would have given it.
  // (Timestamps are left out: the ORM's pool reads them as text, the test's own pool as Dates.)
  it('gives the rows of a parameterised statement as pg makes them: keys, order, types, a name twice, __proto__', async () => {
    const build = (n: number) =>
      sql<Record<string, unknown>>`select ${n}::int as id, 'x' || ${n} as "offer.name", null::text as gone, 9007199254740991::int8 as big,
        ${n}::int8 * 2 as doubled, array['a', ${'b'}] as tags, '{"k": [1]}'::jsonb as doc, 1 as twice, ${n} as twice,
        'own' as "__proto__", 1.5::numeric as amount
        union all select 2, null, 'here', 1, null, '{}', null, 3, 4, null, null`;
    for (const n of [1, 2, 3]) {
      const em = t.orm.em.fork();
      const ours = await query(em, build(n));
      const compiled = build(n).compile(em.getKysely());
      const pgs = await t.sql(compiled.sql, [...compiled.parameters]);
      expect(ours).toEqual(pgs);
      for (const [i, row] of ours.entries()) {
        expect(Object.keys(row)).toEqual(Object.keys(pgs[i]));
        expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
        expect(Object.hasOwn(row, '__proto__')).toBe(true);
      }
      expect(ours[0].twice).toBe(n);
      expect(ours[0].__proto__).toBe('own');
    }
  });
});
