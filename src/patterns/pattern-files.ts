import { createHash } from 'node:crypto';
import path from 'node:path';

import { pathExists, writeFileAtomic } from '../shared/files.js';

/**
 * Where pattern contents are kept, one file per content: beside the appliance areas (whose
 * first level is customer ids), so that backups carry them and every status server that
 * shares the areas serves them.
 */
export function patternsDir(areasDir: string): string {
  return path.join(areasDir, 'patterns');
}

/** Named by its SHA-256: an upload that fails half-way leaves nothing a pattern row names. */
export function patternFile(dir: string, sha256: string): string {
  return path.join(dir, `${sha256}.pattern`);
}

export interface StoredContent {
  sha256: string;
  size: number;
}

/** Writes a pattern's content atomically, unless a file with the same content is there. */
export async function storePatternContent(dir: string, content: Buffer): Promise<StoredContent> {
  const sha256 = createHash('sha256').update(content).digest('hex');
  const file = patternFile(dir, sha256);
  if (!(await pathExists(file))) await writeFileAtomic(file, content, 0o600);
  return { sha256, size: content.length };
}
