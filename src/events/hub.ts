import { EventEmitter, on } from 'node:events';

/** An outbox event as it reaches subscribers. */
export interface DeliveredEvent {
  id: number;
  topic: string;
  customerId: number | null;
  payload: Record<string, unknown>;
}

/**
 * In-process fan-out of committed events to this gateway's subscribers, keyed by topic and
 * customer. Fed by the EventRelay (PostgreSQL LISTEN), so an event reaches subscribers on every
 * instance, whichever instance committed the change.
 */
export class EventHub {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(event: DeliveredEvent): void {
    if (event.customerId !== null) this.emitter.emit(`${event.topic}:${event.customerId}`, event);
  }

  /** The customer's events of one topic, until the subscriber stops iterating. */
  async *listen(topic: string, customerId: number, signal?: AbortSignal): AsyncGenerator<DeliveredEvent> {
    for await (const [event] of on(this.emitter, `${topic}:${customerId}`, { signal })) yield event as DeliveredEvent;
  }

  listenerCount(): number {
    return this.emitter.eventNames().reduce((n, name) => n + this.emitter.listenerCount(name), 0);
  }
}
