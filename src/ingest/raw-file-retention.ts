import { randomUUID } from 'node:crypto';
import { link, lstat, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

import { applianceAreaRoot, receivedFilePath } from '../shared/area-layout.js';
import type { Logger } from '../shared/log.js';
import type { Db, Store } from '../storage/database.js';

export interface RawRetentionDeps {
  store: Store;
  areasDir: string;
  logger: Logger;
  stopping?: () => boolean;
}

const RAW_PAGE = 500;
/** Every received_files row up to this id has been dealt with by raw-file retention. */
const RAW_MARK_SETTING = 'retention.rawFilesCheckedThrough';

interface ReceivedVersion {
  id: number;
  customerId: number;
  productId: number;
  guid: string;
  name: string;
  size: number;
  mtime: number;
  receivedAt: number;
  ingestedAt: number | null;
  superseded: unknown;
}

/**
 * Deletes received files on disk whose latest version arrived before the cutoff and has been
 * read to its end. Versions are walked in id order from a mark kept in the settings table, so
 * that each run looks only at what it has not settled yet; a version still waiting for
 * ingestion holds the mark back and is looked at again next time.
 */
export async function retireRawFiles(deps: RawRetentionDeps, cutoff: number): Promise<number> {
  const db = deps.store.db;
  let mark = await readRawMark(db);
  let after = mark;
  let settled = true;
  let retired = 0;
  for (;;) {
    const page = await versionsAfter(db, after);
    for (const version of page) {
      // Versions recorded later are younger still; stopping at the first young one also keeps
      // the mark short of any id whose insert has not committed yet.
      const young = version.receivedAt >= cutoff;
      if (young || deps.stopping?.() === true) return finishRaw(db, mark, retired);
      after = version.id;
      const state = stateOf(version);
      if (state === 'waiting') settled = false;
      if (state === 'expired' && (await retireFile(deps, version))) retired += 1;
      if (settled) mark = version.id;
    }
    if (page.length < RAW_PAGE) return finishRaw(db, mark, retired);
  }
}

/** A superseded version's file is its successor's business; a waiting one is still needed. */
function stateOf(version: ReceivedVersion): 'superseded' | 'waiting' | 'expired' {
  // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
  if (version.superseded === true || version.superseded === 1) return 'superseded';
  return version.ingestedAt === null ? 'waiting' : 'expired';
}

async function finishRaw(db: Db, mark: number, retired: number): Promise<number> {
  await db
    .insertInto('settings')
    .values({ key: RAW_MARK_SETTING, value: String(mark) })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value: String(mark) }))
    .execute();
  return retired;
}

async function readRawMark(db: Db): Promise<number> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', RAW_MARK_SETTING)
    .executeTakeFirst();
  const mark = Number(row?.value ?? 0);
  return Number.isSafeInteger(mark) && mark > 0 ? mark : 0;
}

/** Versions in id order, each saying whether a newer version of its file exists. */
function versionsAfter(db: Db, afterId: number): Promise<ReceivedVersion[]> {
  return db
    .selectFrom('receivedFiles as file')
    .innerJoin('registeredProducts as product', 'product.id', 'file.productId')
    .select((eb) => [
      'file.id',
      'file.customerId',
      'file.productId',
      'product.guid',
      'file.name',
      'file.size',
      'file.mtime',
      'file.receivedAt',
      'file.ingestedAt',
      eb
        .exists(
          eb
            .selectFrom('receivedFiles as newer')
            .select('newer.id')
            .whereRef('newer.productId', '=', 'file.productId')
            .whereRef('newer.name', '=', 'file.name')
            .whereRef('newer.id', '>', 'file.id'),
        )
        .as('superseded'),
    ])
    .where('file.id', '>', afterId)
    .orderBy('file.id')
    .limit(RAW_PAGE)
    .execute();
}

/**
 * Deletes the file of an expired version, unless what is on disk is not that version: a push
 * may have renamed a newer version into place and not recorded it yet. The file is moved
 * aside first and checked to be the very inode that matched the record, so a version landing
 * meanwhile stays where ingestion will look for it.
 */
async function retireFile(deps: RawRetentionDeps, version: ReceivedVersion): Promise<boolean> {
  const { customerId, productId, guid, name } = version;
  const file = receivedFilePath(deps.areasDir, customerId, guid, name);
  const seen = await lstat(file).catch(() => null);
  if (seen === null) return false;
  const matches =
    seen.isFile() &&
    seen.size === version.size &&
    Math.floor(seen.mtimeMs / 1000) === version.mtime;
  if (!matches) {
    deps.logger.info({ customerId, productId, file: name }, 'received file kept: not as recorded');
    return false;
  }
  // The area's incoming/ folder is on the same file system, so the move is one rename.
  const incoming = path.join(applianceAreaRoot(deps.areasDir, customerId, guid), 'incoming');
  const aside = path.join(incoming, `${randomUUID()}.expired`);
  await mkdir(incoming, { recursive: true, mode: 0o750 });
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const moved = await lstat(aside);
  if (moved.ino !== seen.ino || moved.dev !== seen.dev) {
    await putBack(aside, file);
    return false;
  }
  await rm(aside);
  deps.logger.debug({ customerId, productId, file: name }, 'expired received file deleted');
  return true;
}

/** Returns a file moved aside by mistake, unless a newer one has taken its place since. */
async function putBack(aside: string, file: string): Promise<void> {
  try {
    await link(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  await rm(aside);
}
