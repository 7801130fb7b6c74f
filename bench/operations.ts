/**
 * The operations the benchmark sends. The gateway's come from the client contract as written;
 * PostGraphile's asks its schema for the same screen: the same rows, the same fields.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, print } from 'graphql';

const here = path.dirname(fileURLToPath(import.meta.url));
/** shared/ beside the repository; from dist/bench/ or bench/ alike. */
const contractFile = [path.resolve(here, '../../../shared/contract/operations/mobile.graphql'), path.resolve(here, '../../shared/contract/operations/mobile.graphql')];

export function contractOperation(name: string): string {
  const file = contractFile.find((candidate) => {
    try {
      readFileSync(candidate);
      return true;
    } catch {
      return false;
    }
  });
  if (!file) throw new Error(`The client contract is not beside the repository (looked for ${contractFile.join(', ')}).`);
  const operation = parse(readFileSync(file, 'utf8')).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION && d.name?.value === name);
  if (!operation) throw new Error(`No operation ${name} in ${file}.`);
  return print({ kind: Kind.DOCUMENT, definitions: [operation] });
}

/** RewardStoreOffers as a PostGraphile client asks for it: store, 20 listings in sort order, the offers' current versions, the customer's purchase counts and balance. */
export const POSTGRAPHILE_STORE_OFFERS = `query RewardStoreOffers($storeId: BigInt!, $first: Int = 20, $after: Cursor) {
  currentCustomer {
    id
    pointAccounts { nodes { currencyCode available } }
  }
  rewardStore(id: $storeId) {
    id
    code
    name
    currencyCode
    listingsOnShow(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          priceInPoints
          stockRemaining
          perCustomerLimit
          purchasedByMe
          offer {
            id
            currentVersion { id version name description imageUrl terms benefitKind percentOff amountOff freeSku maxDiscount }
          }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** The same screen asked of PostGraphile 5 (amber preset: database ids are `rowId`, relations are named by their foreign key). */
export const POSTGRAPHILE5_STORE_OFFERS = `query RewardStoreOffers($storeId: BigInt!, $first: Int = 20, $after: Cursor) {
  currentCustomer {
    rowId
    pointAccountsByCustomerId { nodes { currencyCode available } }
  }
  rewardStoreByRowId(rowId: $storeId) {
    rowId
    code
    name
    currencyCode
    listingsOnShow(first: $first, after: $after) {
      edges {
        cursor
        node {
          rowId
          priceInPoints
          stockRemaining
          perCustomerLimit
          purchasedByMe
          offerByOfferId {
            rowId
            offerVersionByCurrentVersionId { rowId version name description imageUrl terms benefitKind percentOff amountOff freeSku maxDiscount }
          }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}`;

/** The smallest operation the gateway answers: its floor of HTTP, parsing, validation and plugins. */
export const TYPENAME = '{ __typename }';
