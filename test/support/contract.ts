import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, print, type DocumentNode } from 'graphql';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The client contract's operation files (shared/, beside the repository). */
export const CONTRACT_DIR = path.resolve(here, '../../../shared/contract/operations');
export const CONTRACT_FILES = ['mobile', 'partner', 'staff'] as const;

/**
 * Contract operations the gateway does not serve yet, with the issue that brings them. Everything
 * else in the contract must validate and run; a test keeps this list honest.
 */
export const PENDING_OPERATIONS: Record<string, string> = {};

export function contractDocument(file: (typeof CONTRACT_FILES)[number]): DocumentNode {
  return parse(readFileSync(path.join(CONTRACT_DIR, `${file}.graphql`), 'utf8'));
}

/** Every contract operation, each as its own printed document. */
export function contractOperations(): { file: string; name: string; source: string }[] {
  return CONTRACT_FILES.flatMap((file) =>
    contractDocument(file)
      .definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)
      .map((d) => ({ file, name: d.name!.value, source: print({ kind: Kind.DOCUMENT, definitions: [d] }) })),
  );
}
