/**
 * Where an operation sits in its request's answer, as the API layer names it: a linked list from
 * the field up to the root (graphql's `info.path` has this shape: `{ prev, key }`, the key a
 * response key, alias or field name, or a list index).
 */
export interface ResponsePosition {
  readonly prev: ResponsePosition | undefined;
  readonly key: string | number;
}

/**
 * Which keyed operations of one request were answered from an earlier request's record (its
 * idempotency record, or the row that keeps its key: a purchase, a gift claim, a sale, an
 * activity) instead of running (replay-22). The answer's `data` of a replay is the first answer,
 * byte for byte, by design; this is what tells a client "already done" from "done now", outside
 * `data`: `extensions.idempotentReplays` and the HTTP header `Idempotent-Replayed: true`
 * (src/http/server.ts, README "Idempotency").
 *
 * One per request, created by the API layer when the request's first mutation field starts
 * (`begin`): a query never has one. Services note a replay with `noteReplay(ctx)` at the point they
 * decide to answer from the record, which costs a first-time request nothing: no statement, no
 * allocation (the record was read to decide either way).
 */
export class IdempotentReplays {
  private running: ResponsePosition | undefined;
  private started = 0;
  private readonly replayed: ResponsePosition[] = [];

  /** A mutation field starts (fields of a mutation run one after another, so one runs at a time). */
  begin(position: ResponsePosition): void {
    this.running = position;
    this.started++;
  }

  /** The running field's answer comes from an earlier request's record. */
  note(): void {
    const position = this.running;
    if (position && !this.replayed.includes(position)) this.replayed.push(position);
  }

  /** Whether any field was replayed. */
  get any(): boolean {
    return this.replayed.length > 0;
  }

  /** Whether every mutation field the request ran was replayed (at least one): `Idempotent-Replayed: true`. */
  get all(): boolean {
    return this.replayed.length > 0 && this.replayed.length === this.started;
  }

  /** The replayed fields' response paths, root first (`[["purchaseOffer"]]`, `[["buy"]]` for an alias), in the order they ran. */
  paths(): (string | number)[][] {
    return this.replayed.map((position) => {
      const path: (string | number)[] = [];
      for (let p: ResponsePosition | undefined = position; p; p = p.prev) path.unshift(p.key);
      return path;
    });
  }
}

/**
 * Notes that the request `ctx` is running answers its current keyed operation from an earlier
 * request's record (see IdempotentReplays). Nothing when the context has no replays (jobs,
 * scripts, a service called outside a mutation).
 */
export function noteReplay(ctx: { replays?: IdempotentReplays }): void {
  ctx.replays?.note();
}
