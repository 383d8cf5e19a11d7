import { afterEach, describe, expect, it } from 'vitest';

import { recountDueDays } from '../../src/ingest/recount-schedule.js';
import { customerDay } from '../../src/ingest/recount.js';
import { silentLogger } from '../../src/shared/log.js';
import { ENGINES } from '../support/databases.js';
import { detectionLine, ingestBench, type IngestBench } from './ingest-helpers.js';

const HOUR = 3_600_000;

describe('customer days', () => {
  it('starts and ends a day at local midnight', () => {
    const day = customerDay(Date.parse('2026-03-10T15:00:00Z'), 'Asia/Tokyo');
    expect(day.date).toBe('2026-03-11');
    expect(new Date(day.start).toISOString()).toBe('2026-03-10T15:00:00.000Z');
    expect(day.end - day.start).toBe(24 * HOUR);
  });

  it('knows a day when clocks go forward has 23 hours, and one when they go back 25', () => {
    const spring = customerDay(Date.parse('2026-03-08T12:00:00Z'), 'America/New_York');
    expect([spring.date, (spring.end - spring.start) / HOUR]).toEqual(['2026-03-08', 23]);
    const autumn = customerDay(Date.parse('2026-11-01T12:00:00Z'), 'America/New_York');
    expect([autumn.date, (autumn.end - autumn.start) / HOUR]).toEqual(['2026-11-01', 25]);
  });

  it('goes back whole days', () => {
    const day = customerDay(Date.parse('2026-01-01T03:00:00Z'), 'UTC', 1);
    expect(day.date).toBe('2025-12-31');
  });
});

describe.each(ENGINES)('the daily incident recount on %s', (engine) => {
  let bench: IngestBench;
  afterEach(async () => {
    await bench.close();
  });

  it('rebuilds the previous day from 02:00 in the customer zone, once', async () => {
    bench = await ingestBench(engine, {}, { timeZone: 'Asia/Tokyo' });
    // 23:30 and 00:10 Tokyo time: one incident at ingest, two days' worth once recounted.
    const at = (iso: string) => detectionLine(3, { rt: iso, dst: '10.0.0.3', dhost: 'pc-3' });
    const text = ['2026-03-10T14:30:00Z', '2026-03-10T14:50:00Z', '2026-03-10T15:10:00Z']
      .map(at)
      .join('\n');
    bench.clock.advance(Date.parse('2026-03-10T16:00:00Z') - bench.clock.now().getTime());
    await bench.deliver('d.log', `${text}\n`);
    await bench.ingestAll();
    expect((await bench.counts()).incidents).toBe(1);

    const deps = {
      store: bench.store,
      clock: bench.clock,
      logger: silentLogger(),
      incidentWindowMs: bench.settings.incidentWindowMs,
    };
    // 01:59 on the 11th in Tokyo: not yet. The 10th (and the 11th so far) at 02:00.
    bench.clock.advance(Date.parse('2026-03-10T16:59:00Z') - bench.clock.now().getTime());
    expect(await recountDueDays(deps)).toBe(0);
    bench.clock.advance(60_000);
    expect(await recountDueDays(deps)).toBe(1);
    expect(await recountDueDays(deps)).toBe(0);
    expect((await bench.counts()).incidents).toBe(2);
    bench.clock.advance(24 * HOUR);
    expect(await recountDueDays(deps)).toBe(1);

    const incidents = await bench.store.db
      .selectFrom('incidents')
      .select(['firstSeen', 'lastSeen', 'detections'])
      .orderBy('firstSeen')
      .execute();
    expect(incidents.map((incident) => incident.detections)).toEqual([2, 1]);
    expect((await bench.counts()).incidents).toBe(2);
  });
});
