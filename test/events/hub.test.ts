import { ConfigError, loadConfig } from '../../src/config.js';
import { EventHub, SlowConsumerError, type DeliveredEvent } from '../../src/events/hub.js';

const event = (id: number, customerId = 1, topic = 'BALANCE_CHANGED'): DeliveredEvent => ({ id, topic, customerId, payload: { n: id } });

/** The hub's streams on their own (pure logic; the suites in this folder drive them through sockets). */
describe('event hub streams', () => {
  it('end a pending next() and leave the hub at once when returned, with no event for their customer', async () => {
    const hub = new EventHub(10);
    const stream = hub.open(1, 'BALANCE_CHANGED');
    const pending = stream.next();
    expect(hub.listenerCount()).toBe(1);
    await stream.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(hub.listenerCount()).toBe(0);
  });

  it('replay, then hand over to live events without a gap or a duplicate', async () => {
    const stored = [event(2), event(3), event(4)];
    const hub = new EventHub(10, async (_c, after, _t, limit) => stored.filter((e) => e.id > after).slice(0, limit));
    const stream = hub.open(1, 'BALANCE_CHANGED', { after: 1 });
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

  it('cut off a subscriber that lets more than its bound wait, and say so once', async () => {
    const hub = new EventHub(3);
    const cut: SlowConsumerError[] = [];
    const stream = hub.open(1, 'BALANCE_CHANGED', { onOverflow: (e) => cut.push(e) });
    for (let id = 1; id <= 4; id++) hub.publish(event(id));
    expect(cut).toHaveLength(1);
    expect(hub.listenerCount()).toBe(0);
    await expect(stream.next()).rejects.toBeInstanceOf(SlowConsumerError);
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('settings refuse a Redis fan-out without Redis, and unknown modes', () => {
    expect(loadConfig({}).events).toMatchObject({ fanout: 'postgres', retentionHours: 168, subscriberQueue: 500 });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).events.fanout).toBe('redis');
    expect(() => loadConfig({ EVENT_FANOUT: 'redis' })).toThrow(ConfigError);
    expect(() => loadConfig({ EVENT_FANOUT: 'kafka' })).toThrow(ConfigError);
    expect(() => loadConfig({ WS_MAX_PAYLOAD_BYTES: '10' })).toThrow(/WS_MAX_PAYLOAD_BYTES/);
  });
});
