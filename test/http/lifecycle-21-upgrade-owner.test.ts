import type { IncomingMessage } from 'node:http';
import { startTestGateway } from '../support/gateway.js';
import { seriesCount } from '../support/metrics.js';
import { createCustomer, simpleShop } from '../support/program.js';
import { subscribed } from '../support/ws.js';

/**
 * lifecycle-21: the HTTP server's 'upgrade' listeners have one owner. break-19 had the WebSocket
 * side's stop remove every 'upgrade' listener of the server, relying on the only others being the
 * drain's and the metrics' (each of which had added its own): a listener anyone else put on the
 * server went with them. Now the gateway puts one dispatcher there, the WebSocket server, the drain
 * and the metrics plug into it, and the stop takes away that one alone. A real gateway, a real socket.
 */
describe("the HTTP server's upgrade listeners (lifecycle-21)", () => {
  it("are one of the gateway's while it runs, and its stop removes that one and nobody else's", async () => {
    const t = await startTestGateway({}, { jobs: 'manual' });
    let closed = false;
    try {
      const shop = await simpleShop(t);
      const member = await createCustomer(t, shop.currency, 1);
      const gatewaysOwn = t.gateway.server.listeners('upgrade');
      const seen: string[] = [];
      const someoneElses = (req: IncomingMessage) => seen.push(req.url ?? '');
      t.gateway.server.on('upgrade', someoneElses);
      // The WebSocket side still takes upgrades, and each is still counted.
      const { socket } = await subscribed(t.url, t.gateway.events, member.token, 'subscription { balanceChanged { available } }');
      await t.gateway.close();
      closed = true;
      expect((await socket.closed).code).toBe(1001);
      const metrics = await t.gateway.metrics.render();
      expect({
        gatewaysOwn: gatewaysOwn.length,
        afterStop: t.gateway.server.listeners('upgrade').map((listener) => (listener === someoneElses ? 'someone else' : 'the gateway')),
        seen,
        upgrades: seriesCount(metrics, 'http_responses_total{route="/graphql",code="101"}'),
      }).toEqual({ gatewaysOwn: 1, afterStop: ['someone else'], seen: ['/graphql'], upgrades: 1 });
    } finally {
      if (!closed) await t.gateway.close();
      await t.close();
    }
  });
});
