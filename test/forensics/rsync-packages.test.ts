import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sha256Of } from '../../src/forensics/package-files.js';
import { ACME } from '../support/cli.js';
import { ENGINES } from '../support/databases.js';
import { rsyncOverSsh } from '../support/rsync-client.js';
import { statusHarness, type StatusHarness } from '../status/status-harness.js';
import { TM_GUID } from './forensic-harness.js';

/** The packages pushed here are 3 MiB at most; a larger one is refused its case. */
const LIMIT = 4 * 1024 * 1024;

describe.each(ENGINES)(
  "forensic packages pushed to the status server's SSH port (%s)",
  (engine) => {
    let harness: StatusHarness;
    let work: string;
    beforeAll(async () => {
      harness = await statusHarness(engine, { TMSP_FORENSICS_MAX_BYTES: String(LIMIT) });
      work = await mkdtemp(path.join(tmpdir(), 'tmsp-forensic-rsync-'));
    });
    afterAll(async () => {
      await harness.close();
      await rm(work, { recursive: true, force: true });
    });

    const push = (source: string, destination: string) =>
      rsyncOverSsh(
        work,
        Number(harness.endpoints.status.ssh.split(':').pop()),
        ACME.registrationUser,
        ACME.registrationSecret,
        ['-a', source, `127.0.0.1:${TM_GUID}/${destination}`],
      );

    it('opens a case for a package under forensics/, and keeps logs as logs', async () => {
      const outbox = path.join(work, 'outbox', 'wks-9');
      await mkdir(outbox, { recursive: true });
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      await writeFile(path.join(outbox, 'sample.zip'), bytes);
      await writeFile(path.join(work, 'tm.log'), 'a log line\n');

      const pushed = await push(`${path.join(work, 'outbox')}/`, 'forensics/');
      expect(pushed.stderr).toBe('');
      expect(pushed.code).toBe(0);
      expect((await push(path.join(work, 'tm.log'), '')).code).toBe(0);

      const db = harness.runtime.store.db;
      const cases = await db.selectFrom('forensicCases').selectAll().execute();
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      expect(cases).toHaveLength(1);
      expect(cases[0]).toMatchObject({
        endpoint: 'wks-9',
        fileName: 'sample.zip',
        size: bytes.length,
        sha256,
        status: 'new case received',
      });
      expect(await sha256Of(path.join(harness.runtime.paths.areasDir, cases[0]!.filePath))).toBe(
        sha256,
      );
      const files = await db.selectFrom('receivedFiles').select('name').execute();
      expect(files.map((file) => file.name)).toEqual(['tm.log']);
      const events = await db
        .selectFrom('applianceEvents')
        .select(['kind', 'detail'])
        .where('kind', '=', 'threat_sample.received')
        .execute();
      expect(events.map((event) => JSON.parse(event.detail).caseId)).toEqual([cases[0]!.id]);

      // Pushed again unchanged, rsync finds it stored: no second case.
      expect((await push(`${path.join(work, 'outbox')}/`, 'forensics/')).code).toBe(0);
      expect(await db.selectFrom('forensicCases').selectAll().execute()).toHaveLength(1);
    });

    it('keeps what an earlier case holds when a package of that name comes again', async () => {
      const outbox = path.join(work, 'again', 'wks-5');
      await mkdir(outbox, { recursive: true });
      const first = randomBytes(2000);
      const second = randomBytes(3000);
      await writeFile(path.join(outbox, 'pkg.zip'), first);
      expect((await push(`${path.join(work, 'again')}/`, 'forensics/')).code).toBe(0);
      await writeFile(path.join(outbox, 'pkg.zip'), second);
      expect((await push(`${path.join(work, 'again')}/`, 'forensics/')).code).toBe(0);

      const cases = await harness.runtime.store.db
        .selectFrom('forensicCases')
        .selectAll()
        .where('endpoint', '=', 'wks-5')
        .orderBy('id')
        .execute();
      const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
      expect(cases.map((row) => row.sha256)).toEqual([digest(first), digest(second)]);
      for (const row of cases) {
        const stored = path.join(harness.runtime.paths.areasDir, row.filePath);
        expect(await sha256Of(stored)).toBe(row.sha256);
      }
    });

    it('opens no case for a file that is not a zip, or larger than the limit', async () => {
      const outbox = path.join(work, 'odd', 'wks-6');
      await mkdir(outbox, { recursive: true });
      await writeFile(path.join(outbox, 'notes.txt'), 'not a package\n');
      await writeFile(path.join(outbox, 'huge.zip'), randomBytes(LIMIT + 1));
      expect((await push(`${path.join(work, 'odd')}/`, 'forensics/')).code).toBe(0);

      const cases = await harness.runtime.store.db
        .selectFrom('forensicCases')
        .select('id')
        .where('endpoint', '=', 'wks-6')
        .execute();
      expect(cases).toEqual([]);
    });
  },
);
