import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';

import { claimProductForPush, recordReceivedFile } from '../../src/logserver/received-files.js';
import { receivedFilePath } from '../../src/shared/area-layout.js';
import { systemClock } from '../../src/shared/clock.js';
import { openStore, type Store } from '../../src/storage/database.js';
import type { Engine } from '../../src/storage/engine.js';
import { ACME, ANY_PORTS, addCustomer, cleanEnv, tmsp, TMSP_BIN } from '../support/cli.js';
import { ENGINES, scratchDatabase, type ScratchDatabase } from '../support/databases.js';
import { detectionLine, GUID } from './ingest-helpers.js';

const APP_FILTER =
  'CEF:0|Trend Micro|Deep Discovery Inspector|6.0|100120|Disruptive application|2|' +
  'src=10.1.0.5 dst=198.51.100.9 appName=BitTorrent';

/** Mostly detections, with other events and lines for the quarantine mixed in. */
function mixedLine(index: number): string {
  if (index % 97 === 0) return `garbage line ${index} with no format`;
  if (index % 13 === 0) return APP_FILTER;
  return detectionLine(index);
}

interface Landed {
  id: number;
  lines: number;
}

/**
 * P02 and QUALITY's "nothing lost, nothing twice": the log server is killed with SIGKILL at
 * random moments while it ingests, restarted each time, and in the end every line of every
 * file is stored exactly once.
 */
describe.each(ENGINES)('ingestion killed with SIGKILL on %s', (engine: Engine) => {
  let dataDir: string;
  let database: ScratchDatabase;
  afterEach(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('stores 100,000 lines in 5 files exactly once across 4 kills', async () => {
    ({ dataDir, database } = await prepare(engine));
    const env = serverEnv(database);
    const store = await openStore({ url: database.url, sqliteFile: dbFile(dataDir) });
    try {
      const landed = await landFiles(store, dataDir, [20_000, 20_000, 20_000, 20_000, 20_000]);
      for (let kill = 0; kill < 4; kill += 1) {
        await runThenKill(dataDir, env, 400 + Math.floor(Math.random() * 1200));
      }
      await runUntilIngested(store, dataDir, env);
      await expectExactlyOnce(store, landed);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('P02: a 10,000-line detection file killed twice gives exactly 10,000 detections', async () => {
    ({ dataDir, database } = await prepare(engine));
    const env = serverEnv(database);
    const store = await openStore({ url: database.url, sqliteFile: dbFile(dataDir) });
    try {
      await landFiles(store, dataDir, [10_000], detectionLine);
      await runThenKill(dataDir, env, 700);
      await runThenKill(dataDir, env, 900);
      await runUntilIngested(store, dataDir, env);
      const detections = await sql<{ n: unknown }>`select count(*) as n from detections`.execute(
        store.db,
      );
      expect(Number(detections.rows[0]?.n)).toBe(10_000);
    } finally {
      await store.close();
    }
  }, 120_000);
});

function dbFile(dataDir: string): string {
  return path.join(dataDir, 'tmsp.sqlite');
}

function serverEnv(database: ScratchDatabase): Record<string, string> {
  return {
    ...ANY_PORTS,
    // Small batches and a quick poll: many commit points for the kills to fall between.
    TMSP_INGEST_BATCH_LINES: '300',
    TMSP_INGEST_POLL_MILLISECONDS: '50',
    ...(database.url === null ? {} : { TMSP_DATABASE_URL: database.url }),
  };
}

async function prepare(engine: Engine): Promise<{ dataDir: string; database: ScratchDatabase }> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tmsp-crash-'));
  const database = await scratchDatabase(engine);
  const env: Record<string, string> =
    database.url === null ? {} : { TMSP_DATABASE_URL: database.url };
  const migrated = await tmsp(['migrate', '--data-dir', dataDir], env);
  if (migrated.code !== 0) throw new Error(`tmsp migrate failed: ${migrated.stderr}`);
  await addCustomer(dataDir, env);
  return { dataDir, database };
}

async function landFiles(
  store: Store,
  dataDir: string,
  sizes: number[],
  make: (index: number) => string = mixedLine,
): Promise<Landed[]> {
  const customer = await store.db
    .selectFrom('customerAccounts')
    .select('id')
    .where('name', '=', ACME.name)
    .executeTakeFirstOrThrow();
  const claim = { customerId: customer.id, guid: GUID, actor: 'test', source: '127.0.0.1' };
  const product = await claimProductForPush(store, claim, systemClock);
  const landed: Landed[] = [];
  for (const [index, size] of sizes.entries()) {
    const name = `tda-${index}.log`;
    let text = '';
    for (let line = 0; line < size; line += 1) text += `${make(index * 1_000_000 + line)}\n`;
    const bytes = Buffer.from(text);
    const target = receivedFilePath(path.join(dataDir, 'areas'), customer.id, GUID, name);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(`${target}.tmp`, bytes);
    await rename(`${target}.tmp`, target);
    const file = {
      name,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      mtime: Math.floor(Date.now() / 1000),
      customerId: customer.id,
      productId: product.productId,
    };
    landed.push({ id: await recordReceivedFile(store, file, systemClock), lines: size });
  }
  return landed;
}

function startLogServer(dataDir: string, env: Record<string, string>) {
  const child = spawn(process.execPath, [TMSP_BIN, 'serve', 'log', '--data-dir', dataDir], {
    env: cleanEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

async function runThenKill(dataDir: string, env: Record<string, string>, ms: number) {
  const server = startLogServer(dataDir, env);
  await sleep(ms);
  server.child.kill('SIGKILL');
  await server.exited;
}

async function runUntilIngested(store: Store, dataDir: string, env: Record<string, string>) {
  const server = startLogServer(dataDir, env);
  try {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const waiting = await store.db
        .selectFrom('receivedFiles')
        .select('id')
        .where('ingestedAt', 'is', null)
        .execute();
      if (waiting.length === 0) break;
      if (Date.now() > deadline) throw new Error(`ingestion did not finish: ${server.stderr()}`);
      await sleep(100);
    }
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
}

async function expectExactlyOnce(store: Store, landed: Landed[]): Promise<void> {
  const perFile = await sql<{ file: number; n: unknown; offsets: unknown }>`
    select received_file_id as file, count(*) as n, count(distinct line_offset) as offsets
    from (
      select received_file_id, line_offset from detections
      union all select received_file_id, line_offset from other_events
      union all select received_file_id, line_offset from quarantined_lines
    ) as stored
    group by received_file_id order by received_file_id`.execute(store.db);
  expect(perFile.rows.map((row) => [row.file, Number(row.n), Number(row.offsets)])).toEqual(
    landed.map((file) => [file.id, file.lines, file.lines]),
  );

  const counters = await store.db
    .selectFrom('customerCounters')
    .selectAll()
    .executeTakeFirstOrThrow();
  const total = landed.reduce((sum, file) => sum + file.lines, 0);
  expect(counters.linesReceived).toBe(total);
  expect(counters.detections + counters.otherEvents + counters.quarantined + counters.purged).toBe(
    total,
  );
}
