import { ok, startTestGateway, type TestGateway } from '../support/gateway.js';
import { adjust, createCurrency, createCustomer } from '../support/program.js';
import { Receiver } from '../support/webhook-receiver.js';

const REGISTER = `mutation Register($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { endpoint { id } userErrors { code field message } } }`;
const DELIVERIES = `query Deliveries($endpointId: ID) {
  webhookDeliveries(first: 5, endpointId: $endpointId) { edges { node { id status attempts nextAttemptAt lastError } } } }`;

type Delivery = { id: string; status: string; attempts: number; nextAttemptAt: string | null; lastError: string | null };

/** `at` as RFC 9110's obsolete RFC 850 form: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const rfc850 = (at: Date) => {
  const [, day, month, year, time] = /^\w+, (\d\d) (\w+) \d\d(\d\d) ([\d:]+) GMT$/.exec(at.toUTCString())!;
  return `${at.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })}, ${day}-${month}-${year} ${time} GMT`;
};
/** `at` as C's asctime form: `Sun Nov  6 08:49:37 1994` (UTC, no zone named). */
const asctime = (at: Date) => {
  const [, weekday, day, month, year, time] = /^(\w+), (\d\d) (\w+) (\d{4}) ([\d:]+) GMT$/.exec(at.toUTCString())!;
  return `${weekday} ${month} ${String(Number(day)).padStart(2, ' ')} ${time} ${year}`;
};

/**
 * break-23: webhooks-23 reads a 429's or 503's Retry-After as delta-seconds or an HTTP-date and
 * ignores "one that cannot be read". The date was read with `Date.parse`, which reads almost any
 * text holding a year: `soon 2030` read as 1 Jan 2030 and `12/31/2099` as a date too, and each
 * parked the delivery for WEBHOOK_MAX_BACKOFF_MS (6 h) instead of the schedule's seconds. RFC 9110
 * §10.2.3: `Retry-After = HTTP-date / delay-seconds`, and an HTTP-date is one of §5.6.7's three
 * forms. A real gateway and receiver, the clock frozen, no jitter.
 */
describe("a Retry-After that is not delta-seconds or an HTTP-date is ignored (break-23)", () => {
  let t: TestGateway;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await startTestGateway({}, { jobs: 'manual', random: () => 0 });
    receiver = await new Receiver().start();
  });
  afterAll(async () => {
    await receiver?.close();
    await t?.close();
  });

  const deliveryOf = async (endpointId: string): Promise<Delivery> =>
    ok(await t.gql<{ webhookDeliveries: { edges: { node: Delivery }[] } }, unknown>(DELIVERIES, { endpointId }, t.analystToken)).webhookDeliveries.edges[0]?.node;

  it('garbage holding a year waits the schedule; the three HTTP-date forms, a past date, a huge and a negative value are read as RFC 9110 says', async () => {
    t.clock.freeze();
    t.clock.advance(1000 - (t.clock.now().getTime() % 1000)); // a whole second: an HTTP-date has no less
    await createCurrency(t, 'LATER');
    const customer = await createCustomer(t, 'LATER');
    const endpointId = ok(
      await t.gql<{ registerWebhookEndpoint: { endpoint: { id: string } } }, unknown>(REGISTER, { input: { url: `${receiver.url}?later`, eventTypes: ['BALANCE_CHANGED'] } }, t.operatorToken),
    ).registerWebhookEndpoint.endpoint.id;
    const hourOn = () => new Date(t.clock.now().getTime() + 3_600_000);
    // each answer's Retry-After as the receiver sends it, at the time it answers
    const answers: [number, () => string][] = [
      [503, () => 'soon 2030'],
      [503, () => '12/31/2099'],
      [429, () => '-5'],
      [503, () => 'Fri, 31 Dec 1999 23:59:59 GMT'],
      [503, () => asctime(hourOn())],
      [429, () => rfc850(hourOn())],
      [503, () => '99999999999999999999999'],
    ];
    let answer = answers[0];
    receiver.status = () => answer[0];
    receiver.headers = () => ({ 'retry-after': answer[1]() });
    await adjust(t, customer.externalId, 'LATER', 10);
    t.clock.advance(t.config.webhooks.dispatchMs);
    await t.runScheduled();
    const waits: Record<string, number> = {};
    for (let i = 0; ; i++) {
      const d = await deliveryOf(endpointId);
      expect(d).toMatchObject({ status: 'PENDING', attempts: i + 1, lastError: `HTTP ${answers[i][0]}` });
      waits[i < 4 || i === 6 ? answers[i][1]() : ['asctime an hour on', 'RFC 850 an hour on'][i - 4]] = (new Date(d.nextAttemptAt!).getTime() - t.clock.now().getTime()) / 1000;
      if (i === answers.length - 1) break;
      answer = answers[i + 1];
      t.clock.advance(new Date(d.nextAttemptAt!).getTime() - t.clock.now().getTime());
      await t.runScheduled();
    }
    expect(waits).toEqual({
      'soon 2030': 5,
      '12/31/2099': 10,
      '-5': 20,
      'Fri, 31 Dec 1999 23:59:59 GMT': 40,
      'asctime an hour on': 3600,
      'RFC 850 an hour on': 3600,
      '99999999999999999999999': 21_600,
    });
  });
});
