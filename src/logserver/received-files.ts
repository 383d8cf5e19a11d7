import { recordAudit } from '../audit/audit-log.js';
import type { Clock } from '../shared/clock.js';
import { AppError, invalidInput, notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';

/**
 * An appliance GUID as stored and as named on disk: 32 upper-case hex digits in 8-4-4-4-12
 * groups. parseApplianceGuid returns only strings that match it.
 */
export const APPLIANCE_GUID_PATTERN =
  /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

// Checked before any case mapping: toUpperCase() first would let look-alikes through (the
// ligature ﬀ upper-cases to FF).
const GUID_TEXT = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const BRACED_GUID_LENGTH = 38;
const NIL_GUID = '00000000-0000-0000-0000-000000000000';

/**
 * The appliance a push names in the first component of its destination, or null if that is
 * not a GUID. Accepted: hex 8-4-4-4-12 in any case, bare or in one pair of braces; the result
 * is upper-case without braces, so that every spelling of one GUID is one appliance. Plain
 * names are not accepted: GUIDs are unique across all customer accounts, and short names
 * would collide between customers and let one account take names another's appliances will
 * use. The nil GUID is refused: it names no appliance in particular.
 */
export function parseApplianceGuid(text: string): string | null {
  if (text.length > BRACED_GUID_LENGTH) return null;
  const bare = text.length === BRACED_GUID_LENGTH ? unbrace(text) : text;
  if (bare === null || !GUID_TEXT.test(bare)) return null;
  const guid = bare.toUpperCase();
  return guid === NIL_GUID ? null : guid;
}

function unbrace(text: string): string | null {
  return text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : null;
}

export interface PushClaim {
  customerId: number;
  /** As the push named it; normalised here. */
  guid: string;
  /** Who registers, for the audit trail: the registration user name, or 'appliance'. */
  actor: string;
  /** The peer address of the push. */
  source: string;
}

export interface ClaimedProduct {
  productId: number;
  /** The normalised GUID: the name of the appliance's area. */
  guid: string;
  /** Whether this claim registered the appliance. */
  registered: boolean;
}

interface OwnedProduct {
  id: number;
  customerId: number;
  registered: boolean;
}

/**
 * The registered product a push writes for, registered on the GUID's first push (with type
 * null: unknown until it sends a heartbeat). Idempotent and safe when several pushes of a new
 * GUID arrive at once: it is registered once. A GUID of another customer account is refused
 * and nothing changes but the audit trail. The caller has checked the push's credentials.
 */
export async function claimProductForPush(
  store: Store,
  claim: PushClaim,
  clock: Clock,
): Promise<ClaimedProduct> {
  const guid = parseApplianceGuid(claim.guid);
  if (guid === null) throw invalidInput('the destination does not name an appliance GUID');
  await requireActiveCustomer(store.db, claim.customerId);

  // Known appliances, nearly every push, are found without taking a write lock.
  const product =
    (await findProduct(store.db, guid)) ?? (await registerProduct(store, claim, guid, clock));
  if (product.customerId !== claim.customerId) {
    await auditForeignGuid(store, claim, guid, clock);
    throw new AppError('forbidden', `appliance ${guid} is registered to another customer account`);
  }
  return { productId: product.id, guid, registered: product.registered };
}

async function requireActiveCustomer(db: Db, customerId: number): Promise<void> {
  const customer = await db
    .selectFrom('customerAccounts')
    .select('status')
    .where('id', '=', customerId)
    .executeTakeFirst();
  if (customer === undefined) throw notFound(`customer account ${customerId}`);
  // Credentials were checked a moment ago; the account may have been disabled since.
  if (customer.status !== 'active') {
    throw new AppError('forbidden', 'the customer account is disabled');
  }
}

async function findProduct(db: Db, guid: string): Promise<OwnedProduct | null> {
  const row = await db
    .selectFrom('registeredProducts')
    .select(['id', 'customerId'])
    .where('guid', '=', guid)
    .executeTakeFirst();
  return row === undefined ? null : { ...row, registered: false };
}

/**
 * Inserts the product unless the GUID exists, then reads whoever holds it. A concurrent first
 * push either inserted first (this insert does nothing; PostgreSQL waits for its commit, and
 * the read sees it) or waits for this one.
 */
async function registerProduct(
  store: Store,
  claim: PushClaim,
  guid: string,
  clock: Clock,
): Promise<OwnedProduct> {
  const now = clock.now();
  return inTransaction(store, async (db) => {
    const inserted = await db
      .insertInto('registeredProducts')
      .values({
        customerId: claim.customerId,
        guid,
        type: null,
        firstRegisteredAt: now.getTime(),
      })
      .onConflict((conflict) => conflict.column('guid').doNothing())
      .returning(['id', 'customerId'])
      .executeTakeFirst();
    if (inserted === undefined) {
      const holder = await findProduct(db, guid);
      if (holder === null) throw new Error(`appliance ${guid} vanished while being registered`);
      return holder;
    }
    await recordAudit(db, now, {
      actor: claim.actor,
      source: claim.source,
      action: 'appliance.register',
      target: guid,
      customerId: claim.customerId,
      result: 'success',
      detail: { productId: inserted.id },
    });
    return { ...inserted, registered: true };
  });
}

async function auditForeignGuid(
  store: Store,
  claim: PushClaim,
  guid: string,
  clock: Clock,
): Promise<void> {
  await recordAudit(store.db, clock.now(), {
    actor: claim.actor,
    source: claim.source,
    action: 'appliance.register',
    target: guid,
    customerId: claim.customerId,
    result: 'failure',
    detail: { reason: 'GUID registered to another customer account' },
  });
}

/** A file the log server holds complete and verified in an appliance's area. */
export interface NewReceivedFile {
  customerId: number;
  productId: number;
  /** Its path inside the appliance's area. */
  name: string;
  size: number;
  /** Lower-case hex SHA-256 of the whole file. */
  sha256: string;
  /** Seconds since the epoch, as the appliance reported it. */
  mtime: number;
}

/**
 * Records a received file and that the product sent a log, in one transaction. Returns the
 * row's id, by which ingestion will account for what it read; a resent identical version keeps
 * its row.
 */
export async function recordReceivedFile(
  store: Store,
  file: NewReceivedFile,
  clock: Clock,
): Promise<number> {
  checkReceivedFile(file);
  const receivedAt = clock.now().getTime();
  return inTransaction(store, async (db) => {
    await markLogReceived(db, file, receivedAt);
    // The same content sent again (an appliance that missed our confirmation, C23) is the
    // version already recorded: ingestion must not see it twice.
    const latest = await latestVersion(db, file);
    if (latest !== undefined && latest.sha256 === file.sha256 && latest.size === file.size) {
      return latest.id;
    }
    const row = await db
      .insertInto('receivedFiles')
      .values({
        customerId: file.customerId,
        productId: file.productId,
        name: file.name,
        size: file.size,
        sha256: file.sha256,
        mtime: file.mtime,
        receivedAt,
        ingestedLength: 0,
        ingestedSha256: null,
        ingestedAt: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

async function latestVersion(
  db: Db,
  file: NewReceivedFile,
): Promise<{ id: number; sha256: string; size: number } | undefined> {
  return db
    .selectFrom('receivedFiles')
    .select(['id', 'sha256', 'size'])
    .where('productId', '=', file.productId)
    .where('name', '=', file.name)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Moves last_log_received_at forward, never back: several log servers, or a clock that was
 * stepped back, may commit an older time after a newer one.
 */
async function markLogReceived(db: Db, file: NewReceivedFile, at: number): Promise<void> {
  const result = await db
    .updateTable('registeredProducts')
    .set((eb) => ({
      lastLogReceivedAt: eb
        .case()
        .when('lastLogReceivedAt', 'is', null)
        .then(at)
        .when('lastLogReceivedAt', '<', at)
        .then(at)
        .else(eb.ref('lastLogReceivedAt'))
        .end(),
    }))
    .where('id', '=', file.productId)
    .where('customerId', '=', file.customerId)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) {
    throw notFound(`registered product ${file.productId} of customer account ${file.customerId}`);
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const LONGEST_NAME = 4096;

function checkReceivedFile(file: NewReceivedFile): void {
  if (!isAreaPath(file.name)) throw invalidInput('a received file needs a path inside its area');
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw invalidInput('a received file needs a size of zero or more bytes');
  }
  if (!SHA256_HEX.test(file.sha256)) {
    throw invalidInput('a received file needs a lower-case hex SHA-256');
  }
  if (!Number.isSafeInteger(file.mtime)) {
    throw invalidInput('a received file needs a modification time in whole seconds');
  }
}

/** Ingestion will open the file by this name: it must not lead out of the area. */
function isAreaPath(name: string): boolean {
  if (name.length === 0 || name.length > LONGEST_NAME || name.includes('\0')) return false;
  return name.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}
