import { setTimeout as sleep } from 'node:timers/promises';

import type { Clock } from '../shared/clock.js';
import { describeError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { Store } from '../storage/database.js';
import { zoneOffset } from './parsers/zoned-time.js';
import { customerDay, recountIncidents } from './recount.js';

export interface RecountDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  incidentWindowMs: number;
}

/** Lines arriving late are in by then: appliances send at least hourly, and retry. */
const RECOUNT_HOUR = 2;

/**
 * Recounts each customer's previous day once, from 02:00 in the customer's time zone. Which
 * day was recounted last is kept in the settings table, so a restart neither repeats nor
 * skips a day, and several log servers on one database do the work once each day at most
 * twice (harmless: a recount gives the same incidents).
 */
export async function recountDueDays(deps: RecountDeps): Promise<number> {
  const now = deps.clock.now().getTime();
  const customers = await deps.store.db
    .selectFrom('customerAccounts')
    .select(['id', 'timeZone'])
    .where('status', '=', 'active')
    .execute();
  let recounted = 0;
  for (const customer of customers) {
    const localHour = new Date(now + (zoneOffset(now, customer.timeZone) ?? 0)).getUTCHours();
    if (localHour < RECOUNT_HOUR) continue;
    const day = customerDay(now, customer.timeZone, 1);
    const key = `incidents.recounted.${customer.id}`;
    if ((await lastRecounted(deps.store, key)) === day.date) continue;
    const today = customerDay(now, customer.timeZone);
    const days = [day, today];
    const incidents = await recountIncidents(deps.store, customer.id, days, deps.incidentWindowMs);
    await markRecounted(deps.store, key, day.date);
    deps.logger.info({ customerId: customer.id, day: day.date, incidents }, 'incidents recounted');
    recounted += 1;
  }
  return recounted;
}

async function lastRecounted(store: Store, key: string): Promise<string | null> {
  const row = await store.db
    .selectFrom('settings')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value ?? null;
}

async function markRecounted(store: Store, key: string, date: string): Promise<void> {
  await store.db
    .insertInto('settings')
    .values({ key, value: date })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value: date }))
    .execute();
}

export interface RecountSchedule {
  stop(): Promise<void>;
}

/** Looks every few minutes whether a customer's day is due. */
export function startRecountSchedule(deps: RecountDeps, intervalMs: number): RecountSchedule {
  const controller = new AbortController();
  const loop = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        await recountDueDays(deps);
      } catch (error) {
        deps.logger.error({ err: describeError(error) }, 'incident recount failed; will retry');
      }
      await sleep(intervalMs, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  };
  const running = loop();
  return {
    stop: async () => {
      controller.abort();
      await running;
    },
  };
}
