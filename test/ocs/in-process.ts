import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { ThrottlePolicy } from '../../src/cas/throttle.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { dataPaths } from '../../src/config/paths.js';
import type { HttpsApp } from '../../src/http/https-app.js';
import { ensureKeyMaterial } from '../../src/keys/material.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { fixedClock } from '../../src/shared/clock.js';
import { silentLogger } from '../../src/shared/log.js';
import type { ApplianceTicketResult } from '../../src/status/appliance-tickets.js';
import { createStatusServer } from '../../src/status/server.js';
import type { Engine } from '../../src/storage/engine.js';
import type { Store } from '../../src/storage/database.js';
import { scratchStore } from '../support/databases.js';

export interface InProcessStatus {
  app: HttpsApp;
  store: Store;
  clock: ReturnType<typeof fixedClock>;
  close(): Promise<void>;
}

/**
 * The status server's appliance API without CAS, answering app.inject: `ST-good…` tickets are
 * acme's, `ST-gone…` tickets name the disabled account gone, any other ticket is refused.
 */
export async function inProcessStatus(
  engine: Engine,
  signOnThrottle?: ThrottlePolicy,
): Promise<InProcessStatus> {
  const scratch = await scratchStore(engine);
  const keysDir = await mkdtemp(path.join(tmpdir(), 'tmsp-ocs-keys-'));
  const keys = await ensureKeyMaterial(
    dataPaths({ ...DEFAULT_CONFIG, dataDir: keysDir }),
    ['localhost'],
    new Date(),
    silentLogger(),
  );
  const { store } = scratch;
  const clock = fixedClock(new Date('2026-12-04T10:00:00Z'));
  for (const [name, status] of [
    ['acme', 'active'],
    ['gone', 'disabled'],
  ] as const) {
    await store.db
      .insertInto('customerAccounts')
      .values({ name, company: null, timeZone: 'UTC', language: 'en', status, createdAt: 0 })
      .execute();
  }
  const app = createStatusServer(
    { store, tls: keys.tls, metrics: createMetrics(), logger: silentLogger() },
    {
      clock,
      heartbeatTimeoutSeconds: 300,
      forensics: { areasDir: keysDir, maxBytes: 1024 },
      validateTicket,
      ...(signOnThrottle === undefined ? {} : { signOnThrottle }),
    },
  );
  return {
    app,
    store,
    clock,
    close: async () => {
      await app.close();
      await scratch.close();
      await rm(keysDir, { recursive: true, force: true });
    },
  };
}

function validateTicket(ticket: string): Promise<ApplianceTicketResult> {
  if (ticket.startsWith('ST-good')) {
    return Promise.resolve({ ok: true, principal: { user: 'acme-fleet', customerName: 'acme' } });
  }
  if (ticket.startsWith('ST-gone')) {
    return Promise.resolve({ ok: true, principal: { user: 'gone-fleet', customerName: 'gone' } });
  }
  return Promise.resolve({ ok: false, code: 'INVALID_TICKET' });
}

/** A ticket of the form CAS issues, so that it reaches the validator. */
export function ticketOf(prefix: 'ST-good' | 'ST-gone' | 'ST-wrong'): string {
  return `${prefix}-${'x'.repeat(24)}`;
}
