import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { STORE_ALARM } from '../../src/logserver/store-alarms.js';
import { STORE_UNAVAILABLE } from '../../src/logserver/store-failures.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../support/databases.js';
import { rsyncOverSsh, type RsyncResult } from '../support/rsync-client.js';
import { rsyncOverTls } from '../support/rsync-ssl-client.js';
import { makeUnwritable, shortBusyTimeout, waitFor } from '../logserver/store-outages.js';
import { FLEET_SECRET, FLEET_USER, type LogDoors, startLogDoors } from './log-doors.js';

const GUID = '6F9619FF-8B86-D011-B42D-00CF4FC964FF';

describe.each(ENGINES)('pushes while the %s store refuses writes', (engine) => {
  let database: ScratchDatabase;
  let doors: LogDoors;

  beforeAll(async () => {
    database = await scratchDatabase(engine);
    doors = await startLogDoors(database, { probeIntervalMs: 100, prepare: shortBusyTimeout });
  });
  afterAll(async () => {
    await doors.close();
    await database.drop();
  });

  const pushOver = (door: 'ssh' | 'tls', outbox: string, extra: string[]): Promise<RsyncResult> =>
    door === 'ssh'
      ? rsyncOverSsh(database.directory, doors.sshPort, FLEET_USER, FLEET_SECRET, [
          '-a',
          ...extra,
          `${outbox}/`,
          `127.0.0.1:${GUID}/${door}/`,
        ])
      : rsyncOverTls(doors.caFile, FLEET_SECRET, [
          '-a',
          ...extra,
          `${outbox}/`,
          `rsync://${FLEET_USER}@localhost:${doors.tlsPort}/logs/${GUID}/${door}/`,
        ]);

  const stored = (door: string, name = '') =>
    path.join(doors.areasDir, String(doors.customerId), GUID, 'logs', door, name);

  const recorded = async (door: string): Promise<string[]> => {
    const rows = await doors.store.db
      .selectFrom('receivedFiles')
      .select('name')
      .where('name', 'like', `${door}/%`)
      .orderBy('name')
      .execute();
    return rows.map((row) => row.name);
  };

  const gauge = async (): Promise<number | undefined> =>
    (await doors.metrics.storeWritable.get()).values[0]?.value;

  it.each(['ssh', 'tls'] as const)(
    'over %s: the client keeps its files during the outage, and all arrive once after it',
    async (door) => {
      const outbox = path.join(database.directory, `outbox-${door}`);
      await mkdir(outbox);
      const push = (extra: string[] = []) => pushOver(door, outbox, extra);
      const removing = ['--remove-source-files'];
      const startedAt = Date.now();
      const loggedBefore = doors.logLines().length;

      await writeFile(path.join(outbox, 'before.log'), 'before the outage\n');
      expect((await push(removing)).code).toBe(0);
      expect(await readdir(outbox)).toEqual([]);

      const outage = await makeUnwritable(doors.store, database);
      let ended = false;
      try {
        // In flight: the file is written and renamed, then its record fails.
        await writeFile(path.join(outbox, 'during.log'), 'while the database refused\n');
        const inFlight = await push(removing);
        expect(inFlight.code).not.toBe(0);
        expect(inFlight.stderr).toContain(STORE_UNAVAILABLE);
        expect(await readdir(outbox)).toEqual(['during.log']);
        expect(doors.health.writable).toBe(false);
        expect(await gauge()).toBe(0);

        // New: refused before any file data moves.
        await writeFile(path.join(outbox, 'refused.log'), 'refused at the door\n');
        const refused = await push(removing);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain(STORE_UNAVAILABLE);
        expect((await readdir(outbox)).sort()).toEqual(['during.log', 'refused.log']);
        await expect(stat(stored(door, 'refused.log'))).rejects.toThrow();
        expect(await recorded(door)).toEqual([`${door}/before.log`]);

        await outage.end();
        ended = true;
        await waitFor('the store to recover', () => doors.health.writable);
      } finally {
        if (!ended) await outage.end();
      }
      expect(await gauge()).toBe(1);

      // A plain push must send the file whose record failed, though a copy of it is stored.
      const after = await push();
      expect(after.code).toBe(0);
      expect(after.stderr).not.toContain('tmsp:');
      const names = [`${door}/before.log`, `${door}/during.log`, `${door}/refused.log`];
      expect(await recorded(door)).toEqual(names);
      const confirmed = await push(removing);
      expect(confirmed.code).toBe(0);
      expect(await readdir(outbox)).toEqual([]);
      expect(await recorded(door)).toEqual(names);

      const alarms = await doors.store.db
        .selectFrom('alarms')
        .selectAll()
        .where('raisedAt', '>=', startedAt)
        .execute();
      expect(alarms).toHaveLength(1);
      const alarm = alarms[0]!;
      expect(alarm.kind).toBe(STORE_ALARM);
      expect(alarm.customerId).toBeNull();
      expect(alarm.clearedAt).toBeGreaterThanOrEqual(alarm.raisedAt);
      const detail = JSON.parse(alarm.detail);
      expect(detail).toMatchObject({ part: 'database', refusedPushes: 1 });
      expect(detail.seenBy).toMatchObject({ task: 'push', customer: 'acme' });

      const logged = doors.logLines().slice(loggedBefore);
      const alarmLines = logged.filter((line) => line['alarm'] === STORE_ALARM);
      expect(alarmLines.filter((line) => line['level'] === 'error')).toEqual([
        expect.objectContaining({ part: 'database', customer: 'acme' }),
      ]);
      expect(alarmLines.filter((line) => line['level'] === 'info')).toEqual([
        expect.objectContaining({ part: 'database', refusedPushes: 1, alarmId: alarm.id }),
      ]);
      expect(JSON.stringify(logged)).not.toContain(FLEET_SECRET);
    },
  );
});
