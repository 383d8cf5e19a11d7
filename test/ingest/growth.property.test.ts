import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import { detectionLine, ingestBench } from './ingest-helpers.js';

const LINE = fc.oneof(
  fc.nat(1000).map((index) => detectionLine(index)),
  fc.nat(1000).map((index) => detectionLine(index, { msg: `κόσμε ${index} 検出 ✓` })),
  fc.nat(50).map((index) => `user=alice action=login src=10.0.0.${index} result=ok`),
  fc.string({ minLength: 1, maxLength: 40 }).map((text) => `garbage ${text.replace(/\s/g, '_')}`),
);

/** A log that grows, pushed as versions cut at arbitrary byte offsets (mid-line, mid-char). */
const GROWTH = fc
  .record({
    lines: fc.array(LINE, { minLength: 1, maxLength: 60 }),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
    ingestBetween: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    batchLines: fc.integer({ min: 1, max: 25 }),
  })
  .map(({ lines, cuts, ingestBetween, batchLines }) => {
    const whole = Buffer.from(`${lines.join('\n')}\n`);
    const offsets = cuts.map((cut) => Math.floor(cut * whole.length)).sort((a, b) => a - b);
    return { lines, whole, offsets: [...offsets, whole.length], ingestBetween, batchLines };
  });

describe.each(ENGINES)('exactly once as a file grows, on %s', (engine) => {
  it('stores every line once, whatever the versions and batch sizes', async () => {
    await fc.assert(
      fc.asyncProperty(GROWTH, async ({ lines, whole, offsets, ingestBetween, batchLines }) => {
        const bench = await ingestBench(engine, { batchLines });
        try {
          for (const [index, offset] of offsets.entries()) {
            await bench.deliver('growing.log', whole.subarray(0, offset));
            bench.clock.advance(1_000);
            if (ingestBetween[index] === true) await bench.ingestAll();
          }
          bench.clock.advance(bench.settings.settleMs);
          await bench.ingestAll();
          expect(await storedLines(bench)).toEqual(lines);
          const counts = await bench.counts();
          expect(counts.linesReceived).toBe(lines.length);
        } finally {
          await bench.close();
        }
      }),
      { numRuns: engine === 'sqlite' ? 40 : 8 },
    );
  }, 120_000);
});

async function storedLines(bench: Awaited<ReturnType<typeof ingestBench>>): Promise<string[]> {
  const db = bench.store.db;
  const detections = await db.selectFrom('detections').select(['lineOffset', 'raw']).execute();
  const others = await db.selectFrom('otherEvents').select(['lineOffset', 'raw']).execute();
  const quarantined = await db
    .selectFrom('quarantinedLines')
    .select(['lineOffset', 'line as raw'])
    .execute();
  return [...detections, ...others, ...quarantined]
    .sort((a, b) => a.lineOffset - b.lineOffset)
    .map((row) => row.raw);
}
