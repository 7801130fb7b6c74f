import type { MikroORM } from '@mikro-orm/postgresql';
import type { Clock } from '../clock.js';
import { enqueueJob } from './queue.js';

export interface Schedule {
  /** The job kind to enqueue. */
  kind: string;
  everyMs: number;
}

/**
 * Turns schedules into jobs on the shared queue. Each run is keyed by its time slot
 * (`<kind>:<slot>`), so however many gateway instances tick, each slot is enqueued once and
 * therefore runs once.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    private readonly schedules: Schedule[],
  ) {}

  /** Enqueues the current slot of every schedule; returns how many jobs this call created. */
  async tick(): Promise<number> {
    const now = this.clock.now();
    let created = 0;
    await this.orm.em.fork().transactional(async (em) => {
      for (const s of this.schedules) {
        const slot = Math.floor(now.getTime() / s.everyMs);
        const id = await enqueueJob(em, s.kind, { slot, at: now.toISOString() }, { runAt: now, uniqueKey: `${s.kind}:${slot}`, maxAttempts: 3 });
        if (id) created++;
      }
    });
    return created;
  }

  start(intervalMs: number, onError: (error: unknown) => void): void {
    const run = () => this.tick().catch(onError);
    void run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
