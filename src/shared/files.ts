import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Writes a file so that readers see either the old content or the new, never a torn one:
 * a temporary sibling is written and synced, then renamed over the target, then the
 * directory is synced so the rename itself survives a crash.
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const directory = path.dirname(target);
  await mkdir(directory, { recursive: true });
  const temporary = path.join(
    directory,
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}`,
  );

  try {
    await writeSynced(temporary, data, mode);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }

  await syncDirectory(directory);
}

export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates a file only if it does not exist yet, whole or not at all, even when several
 * processes race to create it. Returns false when another process won; its file stands.
 */
export async function createFileExclusive(
  target: string,
  data: string | Uint8Array,
  mode: number,
): Promise<boolean> {
  const directory = path.dirname(target);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const temporary = path.join(
    directory,
    `.${path.basename(target)}.${randomBytes(6).toString('hex')}`,
  );

  await writeSynced(temporary, data, mode);
  try {
    await link(temporary, target);
    await syncDirectory(directory);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

export async function pathExists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Creates a new file with the data and waits until it is on disk. */
async function writeSynced(file: string, data: string | Uint8Array, mode: number): Promise<void> {
  const handle = await open(file, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const STALE_LOCK_MS = 60_000;

/**
 * Runs fn while holding a lock file that other processes (and other calls in this one) respect.
 * A lock older than a minute is taken to be left by a crashed process and broken.
 */
export async function withFileLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(lockFile), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx', 0o600);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = await stat(lockFile).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (age > STALE_LOCK_MS) await rm(lockFile, { force: true });
      else await sleep(25);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockFile, { force: true });
  }
}
