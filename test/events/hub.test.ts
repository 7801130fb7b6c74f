import { ConfigError, loadConfig } from '../../src/config.js';
import { EventHub, SlowConsumerError, type DeliveredEvent } from '../../src/events/hub.js';

const event = (id: number, customerId = 1, topic = 'BALANCE_CHANGED'): DeliveredEvent => ({ id, topic, customerId, payload: { n: id } });

/** The hub's streams on their own (pure logic; the suites in this folder drive them through sockets). */
describe('event hub streams', () => {
  it('end a pending next() and leave the hub at once when returned, with no event for their customer', async () => {
    const hub = new EventHub(10);
    const stream = await hub.open(1, 'BALANCE_CHANGED');
    const pending = stream.next();
    expect(hub.listenerCount()).toBe(1);
    await stream.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(hub.listenerCount()).toBe(0);
  });

  it('replay, then hand over to live events without a gap or a duplicate', async () => {
    const stored = [event(2), event(3), event(4)];
    const hub = new EventHub(10, async (_c, after, _t, limit) => stored.filter((e) => e.id > after).slice(0, limit));
    const stream = await hub.open(1, 'BALANCE_CHANGED', { after: 1 });
    // live events that arrive while the replay is read: 4 is also in the replay, 5 is new
    hub.publish(event(4));
    hub.publish(event(5));
    hub.publish(event(9, 2)); // another customer's
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await stream.next()).value!.id);
    expect(ids).toEqual([2, 3, 4, 5]);
    hub.publish(event(5));
    hub.publish(event(6));
    expect((await stream.next()).value!.id).toBe(6);
    await stream.return();
  });

  it('are registered before their start is read: what arrives meanwhile after the start follows, what is at or before it does not', async () => {
    const hub = new EventHub(10);
    let readHead!: (head: number) => void;
    const opening = hub.open(1, 'BALANCE_CHANGED', { head: () => new Promise<number>((resolve) => (readHead = resolve)) });
    // the relay hands over events while the start is read: not yet a listener, but the relay reads for it
    expect([hub.listenerCount(), hub.wanted()]).toEqual([0, true]);
    hub.publish(event(3));
    hub.publish(event(4));
    readHead(3);
    const stream = await opening;
    expect(hub.listenerCount()).toBe(1);
    hub.publish(event(5));
    expect([(await stream.next()).value!.id, (await stream.next()).value!.id]).toEqual([4, 5]);
    await stream.return();
  });

  it('end a stream whose start was being read when its customer closed after it, and keep one opened after the close', async () => {
    const hub = new EventHub(10);
    const close = (seq: number): DeliveredEvent => ({ id: seq, topic: 'CUSTOMER_CLOSED', customerId: 1, payload: {} });
    const starts: ((head: number) => void)[] = [];
    const head = () => new Promise<number>((resolve) => starts.push(resolve));
    const closedAfter = hub.open(1, 'BALANCE_CHANGED', { head });
    const reopened = hub.open(1, 'BALANCE_CHANGED', { head });
    hub.publish(close(6));
    starts[0](5); // started before the close: ends
    starts[1](6); // the close was committed when it started (the account reopened since): stays
    expect(await (await closedAfter).next()).toEqual({ value: undefined, done: true });
    hub.publish(event(7));
    expect((await (await reopened).next()).value!.id).toBe(7);
    expect(hub.listenerCount()).toBe(1);
  });

  it('leave the hub when their start cannot be read', async () => {
    const hub = new EventHub(10);
    await expect(hub.open(1, 'BALANCE_CHANGED', { head: async () => Promise.reject(new Error('database down')) })).rejects.toThrow('database down');
    expect([hub.listenerCount(), hub.wanted()]).toEqual([0, false]);
  });

  it('read the outbox again when the fan-out may have dropped events (resync): what went by unseen comes, each event once', async () => {
    const stored = [event(1), event(2), event(3), event(4)];
    const hub = new EventHub(10, async (_c, after, _t, limit) => stored.filter((e) => e.id > after).slice(0, limit));
    const stream = await hub.open(1, 'BALANCE_CHANGED', { head: async () => 0 });
    hub.publish(event(1));
    expect((await stream.next()).value!.id).toBe(1);
    const waiting = stream.next();
    // 2 and 3 went by unseen; the fan-out is back, and 4 comes live while the outbox is read
    hub.resync();
    hub.publish(event(4));
    expect([(await waiting).value!.id, (await stream.next()).value!.id, (await stream.next()).value!.id]).toEqual([2, 3, 4]);
    hub.publish(event(5));
    expect((await stream.next()).value!.id).toBe(5);
    await stream.return();
  });

  it('cut off a subscriber that lets more than its bound wait, and say so once', async () => {
    const hub = new EventHub(3);
    const cut: SlowConsumerError[] = [];
    const stream = await hub.open(1, 'BALANCE_CHANGED', { onOverflow: (e) => cut.push(e) });
    for (let id = 1; id <= 4; id++) hub.publish(event(id));
    expect(cut).toHaveLength(1);
    expect(hub.listenerCount()).toBe(0);
    // said through onOverflow (the socket's 4008): the stream just ends
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    // with nobody to say it, next() throws it once
    const unheard = await hub.open(1, 'BALANCE_CHANGED');
    for (let id = 1; id <= 4; id++) hub.publish(event(id));
    await expect(unheard.next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(await unheard.next()).toEqual({ value: undefined, done: true });
  });

  it('settings refuse a Redis fan-out without Redis, and unknown modes', () => {
    expect(loadConfig({}).events).toMatchObject({ fanout: 'postgres', retentionHours: 168, subscriberQueue: 500 });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).events.fanout).toBe('redis');
    expect(() => loadConfig({ EVENT_FANOUT: 'redis' })).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_FANOUT: 'kafka' })).toThrow(ConfigError);
    expect(() => loadConfig({ WS_MAX_PAYLOAD_BYTES: '10' })).toThrow(/WS_MAX_PAYLOAD_BYTES/);
  });
});
