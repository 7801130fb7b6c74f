import pg from 'pg';
import { READ_COMMITTED } from '../../src/db/orm.js';

/** One statement a `pg` client sent: its text and its parameters (undefined when it had none). */
export interface SentStatement {
  text: string;
  values: unknown[] | undefined;
}

/**
 * Records every statement this process's `pg` clients send, the test gateway's pool included (it
 * runs in the test's process), by wrapping `pg.Client.prototype.query` until `stop()`. `take()`
 * answers what was sent since the last `take()` (or since the start) and starts afresh. For tests
 * that count what one request costs in statements (issue 12). The statement a pooled connection
 * sends once when it opens (`READ_COMMITTED`) is no request's, and is left out.
 */
export function recordStatements(): { take(): SentStatement[]; stop(): void } {
  const original = pg.Client.prototype.query;
  let sent: SentStatement[] = [];
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string; values?: unknown[] } | undefined;
    const text = typeof config === 'string' ? config : config?.text;
    if (text && text !== READ_COMMITTED) sent.push({ text, values: typeof config === 'string' ? (Array.isArray(args[1]) ? args[1] : undefined) : config?.values });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  return {
    take() {
      const taken = sent;
      sent = [];
      return taken;
    },
    stop() {
      pg.Client.prototype.query = original;
    },
  };
}

/** A statement's first `words` words, lower-case: enough to tell the statements of a count apart. */
export const headOf = (text: string, words: number): string => text.trim().split(/\s+/).slice(0, words).join(' ').toLowerCase();
