import type { Selectable } from 'kysely';

import type { Actor } from '../accounts/customers.js';
import { recordAudit } from '../audit/audit-log.js';
import type { Clock } from '../shared/clock.js';
import { conflict, invalidInput, notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import { isUniqueViolation } from '../storage/errors.js';
import type { PatternTable, PatternType } from '../storage/schema.js';
import { inTransaction } from '../storage/transaction.js';
import { storePatternContent } from './pattern-files.js';

export const PATTERN_TYPES: readonly PatternType[] = ['bandage', 'controlled'];

/** A pattern as the console, the CLI and the appliance API show it. */
export type Pattern = Selectable<PatternTable>;

export interface PatternUpload {
  customerId: number;
  type: string;
  version: string;
  description: string;
  content: Buffer;
}

export interface PatternCatalogue {
  store: Store;
  clock: Clock;
  /** Where contents are kept (patternsDir). */
  dir: string;
}

// Heartbeats report the version as printable ASCII of at most 64 characters.
const VERSION = /^[\x21-\x7E][\x20-\x7E]{0,63}$/;
const LONGEST_DESCRIPTION = 1_000;

/** Keeps the content, then records the pattern with its audit entry. */
export async function uploadPattern(
  catalogue: PatternCatalogue,
  upload: PatternUpload,
  actor: Actor,
): Promise<Pattern> {
  const type = checkUpload(upload);
  const content = await storePatternContent(catalogue.dir, upload.content);
  const now = catalogue.clock.now();
  try {
    return await inTransaction(catalogue.store, async (db) => {
      const pattern = await db
        .insertInto('patterns')
        .values({
          customerId: upload.customerId,
          type,
          version: upload.version,
          description: upload.description,
          size: content.size,
          sha256: content.sha256,
          uploadedAt: now.getTime(),
          uploadedBy: actor.name,
          retiredAt: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await auditPattern(db, now, actor, pattern, 'pattern.upload', {
        type,
        version: pattern.version,
        size: pattern.size,
        sha256: pattern.sha256,
      });
      return pattern;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`pattern version ${upload.version} exists`);
    throw error;
  }
}

function checkUpload(upload: PatternUpload): PatternType {
  const type = PATTERN_TYPES.find((known) => known === upload.type);
  if (type === undefined) throw invalidInput('type must be bandage or controlled');
  if (!VERSION.test(upload.version)) {
    throw invalidInput('version must be 1 to 64 printable ASCII characters');
  }
  if (upload.description.length > LONGEST_DESCRIPTION) {
    throw invalidInput(`description must be at most ${LONGEST_DESCRIPTION} characters`);
  }
  if (upload.content.length === 0) throw invalidInput('the pattern file is empty');
  return type;
}

export async function listPatterns(db: Db, customerId: number): Promise<Pattern[]> {
  return db
    .selectFrom('patterns')
    .selectAll()
    .where('customerId', '=', customerId)
    .orderBy('id')
    .execute();
}

/** A pattern of this customer account; any other answers exactly like an unknown one. */
export async function findPattern(db: Db, customerId: number, id: number): Promise<Pattern> {
  const pattern = await db
    .selectFrom('patterns')
    .selectAll()
    .where('id', '=', id)
    .where('customerId', '=', customerId)
    .executeTakeFirst();
  if (pattern === undefined) throw notFound(`pattern ${id}`);
  return pattern;
}

/** A pattern of any account, for the command line, which sees every account. */
export async function findAnyPattern(db: Db, id: number): Promise<Pattern> {
  const pattern = await db
    .selectFrom('patterns')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (pattern === undefined) throw notFound(`pattern ${id}`);
  return pattern;
}

/** Patterns are never deleted: a retired one is no longer issued nor served. */
export async function retirePattern(
  catalogue: Omit<PatternCatalogue, 'dir'>,
  customerId: number,
  id: number,
  actor: Actor,
): Promise<Pattern> {
  const now = catalogue.clock.now();
  return inTransaction(catalogue.store, async (db) => {
    const pattern = await findPattern(db, customerId, id);
    if (pattern.retiredAt !== null) return pattern;
    await db
      .updateTable('patterns')
      .set({ retiredAt: now.getTime() })
      .where('id', '=', id)
      .execute();
    await auditPattern(db, now, actor, pattern, 'pattern.retire', { version: pattern.version });
    return { ...pattern, retiredAt: now.getTime() };
  });
}

export function auditPattern(
  db: Db,
  now: Date,
  actor: Actor,
  pattern: Pick<Pattern, 'id' | 'customerId'>,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  return recordAudit(db, now, {
    actor: actor.name,
    source: actor.source,
    action,
    target: `pattern ${pattern.id}`,
    customerId: pattern.customerId,
    result: 'success',
    detail,
  });
}

/**
 * A pattern an appliance of the account may download: deployed to one of the account's
 * appliances and not retired. Anything else answers like an unknown pattern.
 */
export async function findDeployedPattern(db: Db, customerId: number, id: number) {
  const pattern = await db
    .selectFrom('patterns as pattern')
    .select(['pattern.id', 'pattern.version', 'pattern.size', 'pattern.sha256'])
    .where('pattern.id', '=', id)
    .where('pattern.customerId', '=', customerId)
    .where('pattern.retiredAt', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('patternDeployments as deployment')
          .select('deployment.id')
          .whereRef('deployment.patternId', '=', 'pattern.id')
          .where('deployment.customerId', '=', customerId),
      ),
    )
    .executeTakeFirst();
  if (pattern === undefined) throw notFound(`pattern ${id}`);
  return pattern;
}
