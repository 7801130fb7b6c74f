import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { createCustomer, createPartner, earningProgram, secondEarningCurrency, submitSale } from '../support/program.js';
import { recordStatements } from '../support/statements.js';

const SALE = `query Sale($externalId: String!) {
  transaction(externalId: $externalId) {
    pointsByCurrency { currency points }
    awards { kind points currencyCode pending reversed }
  }
}`;
type Earned = {
  pointsByCurrency: { currency: string; points: number }[];
  awards: { kind: string; points: number; currencyCode: string | null; pending: boolean; reversed: boolean }[];
};

/**
 * money-25 (review2-24's "Left"): SalesTransaction.pointsByCurrency and SalesTransaction.awards
 * each read the sale's `transaction_award` rows, so a client asking both cost two statements over
 * the same rows. Both now read the request's `awards` loader (sales whose fields resolve together
 * batch into one statement too): one statement for the sale, and the same answers. A real gateway and PostgreSQL; the statements the gateway sends
 * are recorded (no relay or job polling among them).
 */
describe("a sale's awards are read once for both fields (money-25)", () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ EVENT_FANOUT: 'off' }, { jobs: 'manual' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a sale asked for pointsByCurrency and awards: one read of transaction_award, the answers as before', async () => {
    // Two point currencies earning on the same money: 10 points per unit and 1 point per unit.
    const { money, currency: first } = await earningProgram(t, 'AWR');
    const second = await secondEarningCurrency(t, 'AWS', money);
    const till = await createPartner(t, ['transactions:write', 'transactions:read']);
    const customer = await createCustomer(t, first);
    const sale = await submitSale(t, till, customer.externalId, money, 8);
    await t.jobs.runner.runUntilIdle();
    const ask = async () => ok(await t.gql<{ transaction: Earned }, unknown>(SALE, { externalId: sale }, till.credential)).transaction;
    // The document is known (and, after a few sightings, compiled): its first-use work is not counted.
    for (let i = 0; i < 4; i++) await ask();

    const recorder = recordStatements();
    let answer: Earned;
    let reads: number;
    try {
      answer = await ask();
      reads = recorder.take().filter((s) => /from transaction_award/.test(s.text)).length;
    } finally {
      recorder.stop();
    }
    const earned = (units: number) => ({
      pointsByCurrency: [
        { currency: first, points: 10 * units },
        { currency: second, points: units },
      ],
      awards: [
        { kind: 'POINTS', points: 10 * units, currencyCode: first, pending: false, reversed: false },
        { kind: 'POINTS', points: units, currencyCode: second, pending: false, reversed: false },
      ],
    });
    expect({ answer, reads }).toEqual({ answer: earned(8), reads: 1 });
  });
});
