import { afterEach, describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import { detectionLine, ingestBench, lines, type IngestBench } from './ingest-helpers.js';

const APP_FILTER =
  'CEF:0|Trend Micro|Deep Discovery Inspector|6.0|100120|Disruptive application|2|' +
  'rt=Mar 01 2025 09:00:00 GMT+00:00 src=10.1.0.5 dst=198.51.100.9 appName=BitTorrent';

describe.each(ENGINES)('ingestion on %s', (engine) => {
  let bench: IngestBench;
  afterEach(async () => {
    await bench.close();
  });

  it('stores detections, other events and quarantined lines, and the counts add up', async () => {
    bench = await ingestBench(engine);
    const body = [
      detectionLine(1),
      APP_FILTER,
      'this is not a log line at all',
      detectionLine(2),
    ].join('\n');
    const invalid = Buffer.concat([
      Buffer.from(`${body}\n`),
      Buffer.from([0x41, 0xff, 0xfe, 0x0a]),
    ]);
    await bench.deliver('ddi.log', invalid);
    await bench.ingestAll();

    const counts = await bench.counts();
    expect(counts).toMatchObject({
      linesReceived: 5,
      detections: 2,
      otherEvents: 1,
      quarantined: 2,
      storedDetections: 2,
      storedOtherEvents: 1,
      storedQuarantined: 2,
    });
    expect(counts.linesReceived).toBe(
      counts.detections + counts.otherEvents + counts.quarantined + counts.purged,
    );
    const quarantined = await bench.store.db
      .selectFrom('quarantinedLines')
      .select(['reason', 'rawBase64'])
      .orderBy('lineOffset')
      .execute();
    expect(quarantined[0]?.reason).toMatch(/CEF/);
    expect(quarantined[1]?.reason).toBe('not valid UTF-8');
    expect(Buffer.from(quarantined[1]?.rawBase64 ?? '', 'base64')).toEqual(
      Buffer.from([0x41, 0xff, 0xfe]),
    );
    const other = await bench.store.db.selectFrom('otherEvents').selectAll().executeTakeFirst();
    expect(other).toMatchObject({ kind: 'application-filter', application: 'BitTorrent' });
  });

  it('C18: a grown file is read from where it stopped, an identical re-send is a no-op', async () => {
    bench = await ingestBench(engine);
    await bench.deliver('ddi-current.log', lines(1000, detectionLine));
    await bench.ingestAll();
    bench.clock.advance(5 * 60_000);
    const grown = lines(1020, detectionLine);
    await bench.deliver('ddi-current.log', grown);
    await bench.ingestAll();
    bench.clock.advance(5 * 60_000);
    await bench.deliver('ddi-current.log', grown);
    await bench.ingestAll();

    expect(await bench.counts()).toMatchObject({ detections: 1020, storedDetections: 1020 });
    const versions = await bench.store.db
      .selectFrom('receivedFiles')
      .select(['ingestedLength', 'size', 'ingestOutcome'])
      .orderBy('id')
      .execute();
    expect(versions).toHaveLength(2);
    expect(
      versions.every((v) => v.ingestedLength === v.size && v.ingestOutcome === 'ingested'),
    ).toBe(true);
  });

  it('C19: a file whose start changed is read again from its first byte, once', async () => {
    bench = await ingestBench(engine);
    await bench.deliver('rotating.log', lines(10, detectionLine));
    await bench.ingestAll();
    bench.clock.advance(60_000);
    await bench.deliver('rotating.log', lines(12, detectionLine, 100));
    await bench.ingestAll();
    bench.clock.advance(60_000);
    await bench.deliver('rotating.log', lines(3, detectionLine, 200));
    await bench.ingestAll();

    expect(await bench.counts()).toMatchObject({ detections: 25, storedDetections: 25 });
    const outcomes = await bench.store.db
      .selectFrom('receivedFiles')
      .select('ingestOutcome')
      .orderBy('id')
      .execute();
    expect(outcomes.map((o) => o.ingestOutcome)).toEqual(['ingested', 'replaced', 'replaced']);
  });

  it('reads only the newest of several versions that arrived before ingestion ran', async () => {
    bench = await ingestBench(engine);
    await bench.deliver('a.log', lines(5, detectionLine));
    await bench.deliver('a.log', lines(8, detectionLine));
    await bench.deliver('a.log', lines(11, detectionLine));
    await bench.ingestAll();

    expect(await bench.counts()).toMatchObject({ detections: 11, storedDetections: 11 });
    const outcomes = await bench.store.db
      .selectFrom('receivedFiles')
      .select('ingestOutcome')
      .orderBy('id')
      .execute();
    expect(outcomes.map((o) => o.ingestOutcome)).toEqual(['superseded', 'superseded', 'ingested']);
  });

  it('C21: a last line without LF waits until the file settles; an empty file is nothing', async () => {
    bench = await ingestBench(engine);
    await bench.deliver('empty.log', '');
    const partial = `${lines(3, detectionLine)}${detectionLine(3).slice(0, 40)}`;
    await bench.deliver('growing.log', partial);
    await bench.ingestAll();
    expect(await bench.counts()).toMatchObject({ linesReceived: 3, detections: 3 });

    bench.clock.advance(10_000);
    await bench.deliver('growing.log', `${lines(4, detectionLine)}${detectionLine(4)}`);
    await bench.ingestAll();
    expect(await bench.counts()).toMatchObject({ linesReceived: 4, detections: 4 });

    bench.clock.advance(bench.settings.settleMs);
    await bench.ingestAll();
    expect(await bench.counts()).toMatchObject({ linesReceived: 5, detections: 5, quarantined: 0 });
    const pending = await bench.store.db
      .selectFrom('receivedFiles')
      .select('id')
      .where('ingestedAt', 'is', null)
      .execute();
    expect(pending).toEqual([]);
  });

  it('C14: a long line keeps its first part flagged, the next line is whole', async () => {
    bench = await ingestBench(engine, { maxLineBytes: 8192 });
    const many = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`cs${(i % 6) + 1}Label`, `label${i}`]),
    );
    const long = detectionLine(1, { request: `http://x.example/${'a'.repeat(8500)}`, ...many });
    const normal = detectionLine(2);
    const straddle = detectionLine(3, { msg: `${'b'.repeat(2046 - 200)}κόσμε${'c'.repeat(800)}` });
    await bench.deliver('long.log', `${long}\n${normal}\n${straddle}\n`);
    await bench.ingestAll();

    const rows = await bench.store.db
      .selectFrom('detections')
      .select(['truncated', 'raw', 'warnings', 'detectionName'])
      .orderBy('lineOffset')
      .execute();
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ truncated: 1, detectionName: 'Trojan.Test 1' });
    expect(rows[0]?.warnings).toContain('truncated');
    expect(rows[1]?.raw).toBe(normal);
    expect(rows[2]?.raw).toBe(straddle);
    expect(rows[2]?.raw.includes('\ufffd')).toBe(false);
  });

  it('C10: year-less stamps are read in the appliance zone, the year chosen there', async () => {
    bench = await ingestBench(engine, {}, { timeZone: 'America/New_York' });
    bench.clock.advance(Date.parse('2026-01-01T01:00:05Z') - bench.clock.now().getTime());
    await bench.deliver('syslog.log', '<13>Dec 31 20:00:00 tda01 sensor: heartbeat ok\n');
    await bench.ingestAll();
    const row = await bench.store.db
      .selectFrom('otherEvents')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(new Date(row.eventTime).toISOString()).toBe('2026-01-01T01:00:00.000Z');
    expect(row.kind).toBe('syslog');
  });

  it('correlates the same threat on the same host into one incident per window', async () => {
    bench = await ingestBench(engine);
    const at = (minute: number) => ({
      rt: new Date(Date.UTC(2025, 2, 1, 8, minute)).toISOString(),
      dst: '10.1.0.9',
      dhost: 'finance-7',
    });
    const text = [0, 10, 50, 200].map((minute) => detectionLine(7, at(minute))).join('\n');
    await bench.deliver('incidents.log', `${text}\n`);
    await bench.ingestAll();

    const incidents = await bench.store.db
      .selectFrom('incidents')
      .selectAll()
      .orderBy('firstSeen')
      .execute();
    expect(incidents.map((i) => [i.host, i.detections])).toEqual([
      ['finance-7', 3],
      ['finance-7', 1],
    ]);
    expect((await bench.counts()).incidents).toBe(2);
  });

  it('opens thousands of incidents in one batch (a scan of many hosts)', async () => {
    bench = await ingestBench(engine, { batchLines: 5000 });
    const scan = (index: number) =>
      detectionLine(1, { dst: `10.${index >> 8}.${index & 255}.1`, dhost: `pc-${index}` });
    await bench.deliver('scan.log', lines(5000, scan));
    await bench.ingestAll();
    expect(await bench.counts()).toMatchObject({ detections: 5000, incidents: 5000 });
  });

  it('keeps hourly summaries that agree with the stored detections', async () => {
    bench = await ingestBench(engine);
    await bench.deliver('s.log', `${lines(50, detectionLine)}${APP_FILTER}\n`);
    await bench.ingestAll();
    const sums = await bench.store.db
      .selectFrom('hourlySummaries')
      .select(['dimension', 'value', 'count'])
      .where('customerId', '=', bench.customerId)
      .execute();
    const total = (dimension: string) =>
      sums.filter((s) => s.dimension === dimension).reduce((n, s) => n + s.count, 0);
    expect(total('severity')).toBe(50);
    expect(total('threat')).toBe(50);
    expect(sums.find((s) => s.dimension === 'kind' && s.value === 'detection')?.count).toBe(50);
    expect(sums.find((s) => s.dimension === 'application')?.value).toBe('BitTorrent');
  });

  it('records a version whose file is gone as missing and goes on', async () => {
    bench = await ingestBench(engine);
    await bench.deliver('gone.log', lines(2, detectionLine));
    const { rm } = await import('node:fs/promises');
    const { receivedFilePath } = await import('../../src/shared/area-layout.js');
    const { GUID } = await import('./ingest-helpers.js');
    await rm(receivedFilePath(bench.areasDir, bench.customerId, GUID, 'gone.log'));
    await bench.ingestAll();
    const row = await bench.store.db
      .selectFrom('receivedFiles')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(row.ingestOutcome).toBe('missing');
  });
});
