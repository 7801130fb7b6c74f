import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { CustomerStatus } from './customer.entity.js';
import { customerByExternalId, type CustomerRow } from './customer.service.js';

/**
 * Whether the signed-in customer of one request is still active: a `customer` row with the id
 * authentication took from its cache (`Authenticator`, src/http/auth.ts) and the token's subject as
 * its `external_id`, whose status is not CLOSED (SUSPENDED customers may still read; what they may
 * not do, their mutations refuse).
 *
 * Authentication reads the customer's row before anything else runs unless it knows their id
 * already and the request is an HTTP query (or a compiled purchase); then it leaves this check pending, and the first
 * statement of the request that reads the row settles it (`observe`, `observeRow`): the store
 * page's statement (`storeWithListingsPage`'s `viewerActive`), the `customer` loader, or a
 * compiled purchase's one statement (purchase.service, `purchaseOffer`). Before the
 * response is written, the HTTP server calls `settle`, which runs the standalone lookup
 * (`customerByExternalId`, the statement authentication would have run) when nothing settled it,
 * and refuses the response (401 UNAUTHENTICATED, as authentication does) when the customer is not
 * active. So a closed or missing customer never gets data, and a page costs one statement fewer.
 *
 * A refusal is final: once any statement found the customer inactive, a later one that found them
 * active (the row changed between two statements) does not undo it.
 */
export class CustomerCheck {
  private outcome: boolean | undefined;

  constructor(
    /** `customer.id` as authentication's cache has it for `externalId`. */
    readonly customerId: number,
    /** The token's subject. */
    readonly externalId: string,
  ) {}

  /** Whether a statement has decided it yet (`settle` then reads nothing). */
  get settled(): boolean {
    return this.outcome !== undefined;
  }

  /** What a statement that read the customer's row by `customerId` and `externalId` found: active or not. */
  observe(active: boolean): void {
    if (this.outcome !== false) this.outcome = active;
  }

  /** What a read of the `customer` row by id found (undefined: no row): active when its external id is the token's and it is not CLOSED. */
  observeRow(row: Pick<CustomerRow, 'id' | 'externalId' | 'status'> | undefined): void {
    this.observe(row !== undefined && row.id === this.customerId && row.externalId === this.externalId && row.status !== CustomerStatus.CLOSED);
  }

  /**
   * Whether the customer is active, reading their row by external id (one statement, on `em`) only
   * when no statement of the request has settled it yet.
   */
  async settle(em: SqlEntityManager): Promise<boolean> {
    if (this.outcome === undefined) await this.read(em);
    return this.outcome!;
  }

  /**
   * Reads the customer's row now (`customerByExternalId`, the statement authentication runs, on
   * `em`) and settles the check with it: the row when the customer is active (and no earlier
   * statement found them inactive), else undefined. For a request that needs the row itself before
   * it runs (a mutation acts on the customer's status), as authentication would have given it.
   */
  async read(em: SqlEntityManager): Promise<CustomerRow | undefined> {
    const row = await customerByExternalId(em, this.externalId);
    this.observeRow(row);
    return this.outcome ? row : undefined;
  }
}
