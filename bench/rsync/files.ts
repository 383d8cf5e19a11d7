import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';

const CHUNK = 1024 * 1024;

/** Random bytes, so that neither side can gain from compressible or repeated content. */
export async function writeRandomFile(file: string, bytes: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const handle = await open(file, 'w');
  try {
    for (let written = 0; written < bytes; written += CHUNK) {
      await handle.write(randomBytes(Math.min(CHUNK, bytes - written)));
    }
  } finally {
    await handle.close();
  }
}

/** A directory of `count` files of `bytes` each, named like rotated appliance logs. */
export async function writeTree(
  dir: string,
  count: number,
  bytes: number,
  prefix = 'events',
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let index = 0; index < count; index++) {
    await writeRandomFile(path.join(dir, `${prefix}-${String(index).padStart(5, '0')}.log`), bytes);
  }
}

/** Appends `percent` of the file's size, as a log file grows between two pushes. */
export async function grow(file: string, percent: number): Promise<number> {
  const { size } = await stat(file);
  const added = Math.round((size * percent) / 100);
  await appendFile(file, randomBytes(added));
  return size + added;
}
