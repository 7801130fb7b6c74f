import type { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from 'pino';
import { queryOne, sql } from '../db/sql.js';
import type { DeliveredEvent, EventHub } from './hub.js';

export const EVENTS_CHANNEL = 'reward_gateway_events';

/**
 * Listens for committed outbox events (a trigger NOTIFYs each insert; PostgreSQL delivers it on
 * commit, so rolled-back changes are never announced) and hands them to the local hub. Keeps one
 * dedicated connection and reconnects with backoff when it drops. Delivery to open sockets is
 * live only: an event committed while this instance was disconnected is not replayed (the
 * outbox keeps it), so clients read current state when they (re)subscribe.
 */
export class EventRelay {
  private client: pg.Client | undefined;
  private stopped = false;
  private reconnecting = false;
  private retryMs = 500;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly orm: MikroORM,
    private readonly hub: EventHub,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => void this.deliver(message.payload));
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.log.warn({ err: error }, 'event relay connection lost; reconnecting');
      this.reconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.connect();
    await client.query(`listen ${EVENTS_CHANNEL}`);
    this.client = client;
    this.retryMs = 500;
  }

  private reconnect(): void {
    if (this.stopped || this.reconnecting) return;
    this.reconnecting = true;
    this.client = undefined;
    const attempt = () => {
      this.timer = setTimeout(() => {
        this.connect().then(
          () => (this.reconnecting = false),
          (error) => {
            this.log.warn({ err: error, retryMs: this.retryMs }, 'event relay cannot reconnect yet');
            this.retryMs = Math.min(this.retryMs * 2, 30_000);
            if (!this.stopped) attempt();
          },
        );
      }, this.retryMs);
      this.timer.unref();
    };
    attempt();
  }

  private async deliver(text: string | undefined): Promise<void> {
    if (!text) return;
    try {
      const event = JSON.parse(text) as DeliveredEvent & { payload?: Record<string, unknown> };
      if (!event.payload) {
        // Too large for a NOTIFY: read it from the outbox.
        const row = await queryOne<{ payload: Record<string, unknown> }>(this.orm.em.fork(), sql`select payload from outbox_event where id = ${event.id}`);
        if (!row) return;
        event.payload = row.payload;
      }
      this.hub.publish(event as DeliveredEvent);
    } catch (error) {
      this.log.error({ err: error }, 'event relay could not deliver an event');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
