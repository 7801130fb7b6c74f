/**
 * GraphQL Code Generator: typed documents for the client contract's operations, used by the tests,
 * and for the browser apps' own operations (`npm run codegen`; `npm test` checks the output is
 * current). Contract operations still pending are left out until the gateway serves them (see
 * test/support/contract.ts).
 */
import type { CodegenConfig } from '@graphql-codegen/cli';
import { addTypenameSelectionDocumentTransform } from '@graphql-codegen/client-preset';
import { contractOperations, PENDING_OPERATIONS } from './test/support/contract.js';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  generates: {
    'test/generated/': {
      documents: contractOperations()
        .filter((op) => !(op.name in PENDING_OPERATIONS))
        .map((op) => op.source),
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', Date: 'string', Decimal: 'string', JSON: 'unknown', BigInt: 'number' },
      },
    },
    // The browser apps (web/): typed DocumentNodes for Apollo Client, each carrying its SHA-256 id
    // (`__meta__.hash`), and persisted-documents.json, the list the gateway registers for the
    // app's client name (scripts/web-build.mjs, src/persisted/first-party.ts).
    ...Object.fromEntries(
      ['member', 'console'].map((app) => [
        `web/src/${app}/gql/`,
        {
          documents: `web/src/${app}/operations.graphql`,
          preset: 'client' as const,
          // Apollo Client's cache needs __typename everywhere; the registered text must have it
          // too, since the app sends only the id of the text codegen wrote.
          documentTransforms: [addTypenameSelectionDocumentTransform],
          presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: 'sha256' as const } },
          config: {
            useTypeImports: true,
            enumsAsTypes: true,
            scalars: { DateTime: 'string', Date: 'string', Decimal: 'string', JSON: 'unknown', BigInt: 'number' },
          },
        },
      ]),
    ),
    // Which concrete types an interface or union stands for (`Node`: Customer, Offer…), for both
    // apps' InMemoryCache (web/src/shared/api.ts): without it Apollo cannot tell that a fragment
    // on Node applies to a Customer, and reads such a fragment's fields as missing (audit-47).
    'web/src/shared/possible-types.ts': {
      plugins: ['fragment-matcher'],
      config: { apolloClientVersion: 3, useExplicitTyping: true },
    },
  },
  emitLegacyCommonJSImports: false,
};

export default config;
