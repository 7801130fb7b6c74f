/**
 * Writes schema/partner-manifest.json: the client contract's partner operations
 * (../shared/contract/operations/partner.graphql) as an Apollo persisted query manifest, ids the
 * SHA-256 of graphql-js's printed body (as @apollo/generate-persisted-query-manifest makes them).
 * Run by `npm run build`; the demo seed registers it for the demo POS, and a test checks it is current.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'graphql';
import { PARTNER_MANIFEST_PATH } from '../src/persisted/contract.js';
import { manifestFromDocument } from '../src/persisted/manifest.js';

const source = path.resolve(path.dirname(PARTNER_MANIFEST_PATH), '../../shared/contract/operations/partner.graphql');
if (!existsSync(source)) {
  // A clone outside the project folder has no ../shared beside it: nothing is wrong, the checked-in manifest is used.
  console.log(`partner manifest: schema/partner-manifest.json as checked in (the client contract, ${source}, is not beside this clone, so there is nothing to regenerate it from)`);
} else {
  const manifest = manifestFromDocument(parse(await readFile(source, 'utf8')));
  await writeFile(PARTNER_MANIFEST_PATH, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`wrote schema/partner-manifest.json (${manifest.operations.length} operations)`);
}
