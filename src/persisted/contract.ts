import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PersistedManifest } from './manifest.js';

/** The package's root folder (holding package.json), from wherever this module was compiled to. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/**
 * Where the build writes the manifest of the client contract's partner operations
 * (`../shared/contract/operations/partner.graphql`): checked in beside schema.graphql, so the
 * image and a clone without the contract folder still have it.
 */
export const PARTNER_MANIFEST_PATH = path.join(packageRoot(), 'schema', 'partner-manifest.json');

/** The contract's partner operations as written by the build (`scripts/persisted-manifest.ts`). */
export async function contractPartnerManifest(): Promise<PersistedManifest> {
  return JSON.parse(await readFile(PARTNER_MANIFEST_PATH, 'utf8')) as PersistedManifest;
}
