import { afterEach, describe, expect, it } from 'vitest';

import { startIngestWorker } from '../../src/ingest/worker.js';
import { silentLogger } from '../../src/shared/log.js';
import { ENGINES } from '../support/databases.js';
import { detectionLine, ingestBench, lines, type IngestBench } from './ingest-helpers.js';

describe.each(ENGINES)('several ingestion workers on one %s database', (engine) => {
  let bench: IngestBench;
  afterEach(async () => {
    await bench.close();
  });

  it('store every line once when they race for the same files', async () => {
    bench = await ingestBench(engine, { batchLines: 50 });
    for (let file = 0; file < 4; file += 1) {
      await bench.deliver(`f${file}.log`, lines(500, detectionLine, file * 1000));
    }
    const deps = {
      store: bench.store,
      areasDir: bench.areasDir,
      clock: bench.clock,
      logger: silentLogger(),
      settings: bench.settings,
    };
    const workers = [1, 2, 3].map(() => startIngestWorker(deps, { pollMs: 20, retryMs: 20 }));
    try {
      for (;;) {
        await Promise.all(workers.map((worker) => worker.idle()));
        const waiting = await bench.store.db
          .selectFrom('receivedFiles')
          .select('id')
          .where('ingestedAt', 'is', null)
          .execute();
        if (waiting.length === 0) break;
      }
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
    expect(await bench.counts()).toMatchObject({
      linesReceived: 2000,
      detections: 2000,
      storedDetections: 2000,
    });
  });
});
