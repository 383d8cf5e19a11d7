import { ExitCode, RsyncError } from '../rsync/errors.js';
import type { PushLimits } from '../rsync/limits.js';
import type { ServerRequest } from '../rsync/server-options.js';
import { type PushSummary, type SessionIo, endWithError, receivePush } from '../rsync/session.js';
import { applianceAreaRoot } from '../shared/area-layout.js';
import type { Clock } from '../shared/clock.js';
import { isAppError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import type { ApplianceAccount } from './appliance-checks.js';
import { ApplianceArea } from './area.js';
import { claimProductForPush, type NewReceivedFile, recordReceivedFile } from './received-files.js';
import { asStoreFailure } from './store-failures.js';
import type { StoreHealth } from './store-health.js';

/** What every push needs, whichever door it came through. */
export interface PushDeps {
  store: Store;
  areasDir: string;
  clock: Clock;
  limits: PushLimits;
  /** Shared by every door of the process: a store that refuses writes refuses new pushes. */
  health: StoreHealth;
  /** Records each stored file: as a received log file unless a door records some otherwise. */
  recordStored?: (file: PushedFile) => Promise<void>;
}

/** A file a push stored in an appliance's area, with whose it is. */
export interface PushedFile extends NewReceivedFile {
  guid: string;
}

/** An authenticated appliance and the push it asked for. */
export interface PushCall {
  account: ApplianceAccount;
  userName: string;
  peer: string;
  request: ServerRequest;
  /** The destination inside the door's root: `<GUID>/<folder>/`. */
  destination: string;
  log: Logger;
}

/**
 * Runs one push: the destination's first component names the appliance (registered on its
 * first push, refused if another account holds it), the rest is a folder in its area. Every
 * file is recorded before the client hears it is stored. While the store refuses writes the
 * push is refused before anything moves; a push the store fails tells the store's health.
 */
export async function runPush(
  deps: PushDeps,
  call: PushCall,
  io: SessionIo,
  daemonProtocol?: number,
): Promise<PushSummary> {
  deps.health.refuseWhileUnwritable();
  try {
    return await receiveIntoArea(deps, call, io, daemonProtocol);
  } catch (error) {
    deps.health.noteFailure(error, {
      task: 'push',
      customer: call.account.customer,
      destination: call.destination,
    });
    throw error;
  }
}

async function receiveIntoArea(
  deps: PushDeps,
  call: PushCall,
  io: SessionIo,
  daemonProtocol?: number,
): Promise<PushSummary> {
  const [first = '', ...rest] = call.destination.split('/');
  const product = await claim(deps, call, first);
  const log = call.log.child({ product: product.guid });
  const area = new ApplianceArea({
    root: applianceAreaRoot(deps.areasDir, call.account.customerId, product.guid),
    onStored: async (file) => {
      const recorded = { ...file, customerId: call.account.customerId, productId: product.id };
      const record =
        deps.recordStored ?? ((stored) => recordReceivedFile(deps.store, stored, deps.clock));
      await record({ ...recorded, guid: product.guid }).catch((error: unknown) => {
        throw asStoreFailure(error);
      });
    },
  });
  const request = { ...call.request, destination: rest.join('/') };
  const summary = await receivePush(io, request, area, deps.limits, daemonProtocol);
  log.info(
    {
      protocol: summary.protocol,
      stored: summary.stored.length,
      failed: summary.failed.length,
      skipped: summary.skipped.length,
      literalBytes: summary.literalBytes,
      matchedBytes: summary.matchedBytes,
    },
    'push received',
  );
  return summary;
}

async function claim(
  deps: PushDeps,
  call: PushCall,
  guid: string,
): Promise<{ id: number; guid: string }> {
  try {
    const claimed = await claimProductForPush(
      deps.store,
      { customerId: call.account.customerId, guid, actor: call.userName, source: call.peer },
      deps.clock,
    );
    if (claimed.registered) call.log.info({ product: claimed.guid }, 'appliance registered');
    return { id: claimed.productId, guid: claimed.guid };
  } catch (error) {
    if (!isAppError(error)) throw asStoreFailure(error);
    const reason =
      error.code === 'invalid_input'
        ? 'push into <appliance GUID>/ (the destination must start with the GUID)'
        : error.message;
    throw new RsyncError(`tmsp: ${reason}`, ExitCode.fileSelect);
  }
}

/** Any failure as the client should see it; internal errors say no more than that. */
export function clientError(error: unknown, log: Logger): RsyncError {
  if (error instanceof RsyncError) return error;
  log.error({ err: error }, 'push failed');
  return new RsyncError('tmsp: the log server had an internal error; push again later', 11);
}

/** Tells the client why its push ended: in the framed stream once it started, else in text. */
export async function reportFailure(
  io: SessionIo,
  error: RsyncError,
  unframed: (message: string) => void,
): Promise<void> {
  if (io.output.isMultiplexed) await endWithError(io, error);
  else unframed(error.message);
}
