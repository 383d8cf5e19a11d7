import type { Actor } from '../accounts/customers.js';
import { parseApplianceGuid } from '../logserver/received-files.js';
import type { Clock } from '../shared/clock.js';
import { conflict, invalidInput, notFound } from '../shared/errors.js';
import type { Db, Store } from '../storage/database.js';
import { inTransaction } from '../storage/transaction.js';
import type { PatternBus } from './pattern-bus.js';
import { auditPattern, findPattern, type Pattern } from './patterns.js';

export interface DeploymentDeps {
  store: Store;
  clock: Clock;
  /** Tells this process's event streams at once; other processes read the database. */
  bus?: PatternBus | undefined;
}

export interface DeployRequest {
  customerId: number;
  patternId: number;
  /** One appliance; without it, every Threat Mitigator of the account. */
  guid?: string | undefined;
}

export interface Deployed {
  patternId: number;
  /** The appliances the request named. */
  targets: number;
  /** Of those, the ones that had no deployment of the pattern yet. */
  created: number;
}

interface Target {
  id: number;
  guid: string;
}

/**
 * Deploys a pattern: one deployment per (pattern, appliance), inserted unless it exists, so
 * that a request made twice at once (P13) still makes one, in whichever process it lands.
 */
export async function deployPattern(
  deps: DeploymentDeps,
  request: DeployRequest,
  actor: Actor,
): Promise<Deployed> {
  const now = deps.clock.now();
  const { created, deployed } = await inTransaction(deps.store, async (db) => {
    const pattern = await issuablePattern(db, request.customerId, request.patternId);
    const targets = await deploymentTargets(db, request.customerId, request.guid);
    const made: number[] = [];
    for (const target of targets) {
      if (await insertDeployment(db, pattern, target, now)) made.push(target.id);
    }
    const result = { patternId: pattern.id, targets: targets.length, created: made.length };
    await auditPattern(db, now, actor, pattern, 'pattern.deploy', {
      guid: request.guid ?? null,
      targets: result.targets,
      created: result.created,
    });
    return { created: made, deployed: result };
  });
  deps.bus?.notify(created);
  return deployed;
}

/** A deployment just notified: nothing heard from the appliance yet. */
function freshNotification(now: Date) {
  return {
    state: 'notified' as const,
    notifiedAt: now.getTime(),
    downloadedAt: null,
    reportedAt: null,
    deployedAt: null,
    failedAt: null,
    retrying: 0,
    failure: null,
    endpoint: null,
  };
}

async function insertDeployment(db: Db, pattern: Pattern, target: Target, now: Date) {
  const inserted = await db
    .insertInto('patternDeployments')
    .values({
      customerId: pattern.customerId,
      patternId: pattern.id,
      productId: target.id,
      attempts: 1,
      ...freshNotification(now),
    })
    .onConflict((onConflict) => onConflict.columns(['patternId', 'productId']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Notifies the appliance again: a new notification for the same deployment. */
export async function reissueDeployment(
  deps: DeploymentDeps,
  request: Required<DeployRequest>,
  actor: Actor,
): Promise<void> {
  const now = deps.clock.now();
  const productId = await inTransaction(deps.store, async (db) => {
    const pattern = await issuablePattern(db, request.customerId, request.patternId);
    const [target] = await deploymentTargets(db, request.customerId, request.guid);
    if (target === undefined) throw notFound('deployment');
    const moved = await db
      .updateTable('patternDeployments')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        ...freshNotification(now),
      }))
      .where('patternId', '=', pattern.id)
      .where('productId', '=', target.id)
      .where('customerId', '=', request.customerId)
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) throw notFound('deployment');
    await auditPattern(db, now, actor, pattern, 'pattern.reissue', { guid: target.guid });
    return target.id;
  });
  deps.bus?.notify([productId]);
}

/** A pattern that may go out: not retired, for an account that is not disabled. */
async function issuablePattern(db: Db, customerId: number, patternId: number): Promise<Pattern> {
  const pattern = await findPattern(db, customerId, patternId);
  if (pattern.retiredAt !== null) throw conflict(`pattern ${patternId} is retired`);
  const account = await db
    .selectFrom('customerAccounts')
    .select('status')
    .where('id', '=', customerId)
    .executeTakeFirstOrThrow();
  if (account.status !== 'active') {
    throw conflict(`the customer account of pattern ${patternId} is disabled`);
  }
  return pattern;
}

async function deploymentTargets(
  db: Db,
  customerId: number,
  guidText: string | undefined,
): Promise<Target[]> {
  let query = db
    .selectFrom('registeredProducts')
    .select(['id', 'guid', 'type'])
    .where('customerId', '=', customerId)
    .orderBy('id');
  if (guidText === undefined) {
    const all = await query.where('type', '=', 'TM').execute();
    if (all.length === 0) throw invalidInput('the account has no registered Threat Mitigator');
    return all;
  }
  const guid = parseApplianceGuid(guidText);
  if (guid === null) throw invalidInput('guid must be an appliance GUID');
  query = query.where('guid', '=', guid);
  const product = await query.executeTakeFirst();
  if (product === undefined) throw notFound(`registered product ${guid}`);
  if (product.type !== 'TM') throw invalidInput(`${guid} is not a Threat Mitigator`);
  return [product];
}
