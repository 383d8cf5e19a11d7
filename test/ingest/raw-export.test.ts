import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  exportFileName,
  exportPages,
  exportText,
  findExportTarget,
  parseExportRange,
  type ExportRange,
  type ExportTarget,
} from '../../src/ingest/raw-export.js';
import { AppError } from '../../src/shared/errors.js';
import { ENGINES } from '../support/databases.js';
import {
  benchAppliance,
  deliverTo,
  flowLine,
  garbageLine,
  ingestPending,
  otherCustomer,
} from './appliances.js';
import { detectionLine, GUID, ingestBench, type IngestBench } from './ingest-helpers.js';

const GLOBEX_GUID = '11111111-2222-3333-4444-555555555555';
const HOUR = 3_600_000;
const BASE = Date.parse('2025-03-01T00:00:00Z');

/** Detections out of time order, two at the same instant, one at each end of the range. */
const ACME_HOURS = [5, 1, 3, 3, 0, 9, 24, 2];

function detectionAt(tag: string, index: number, hour: number): string {
  return detectionLine(index, { rt: new Date(BASE + hour * HOUR).toISOString(), msg: tag });
}

async function collect(
  bench: IngestBench,
  target: ExportTarget,
  range: ExportRange,
  pageRows: number,
): Promise<string[]> {
  const found: string[] = [];
  for await (const page of exportPages(bench.store.db, target, range, pageRows)) {
    expect(page.length).toBeLessThanOrEqual(pageRows);
    found.push(...page);
  }
  return found;
}

const range = (kind: string, from: string, to: string) => parseExportRange({ kind, from, to });

describe.each(ENGINES)('raw log export on %s', (engine) => {
  let bench: IngestBench;
  let acme: ExportTarget;
  let acmeDetections: string[];

  beforeEach(async () => {
    bench = await ingestBench(engine);
    const globex = await otherCustomer(bench, 'globex', GLOBEX_GUID);
    acmeDetections = ACME_HOURS.map((hour, i) => detectionAt('acme', i, hour));
    const detections = (lines: string[]) => `${lines.join('\n')}\n${garbageLine(1)}\n`;
    await deliverTo(bench, benchAppliance(bench), 'ddi.log', detections(acmeDetections));
    await deliverTo(
      bench,
      globex,
      'ddi.log',
      detections(ACME_HOURS.map((hour, i) => detectionAt('globex', i, hour))),
    );
    const flows = [4, 2, 30].map((hour, i) => flowLine(i, new Date(BASE + hour * HOUR)));
    await deliverTo(bench, benchAppliance(bench), 'eve.json', `${flows.join('\n')}\n`);
    await ingestPending(bench);
    acme = await findExportTarget(bench.store.db, 'acme', GUID.toLowerCase());
  });
  afterEach(async () => {
    await bench.close();
  });

  it('gives exactly the lines of the kind and range, by event time, page by page', async () => {
    const wanted = ACME_HOURS.map((hour, i) => ({ hour, i, line: acmeDetections[i] }))
      .filter(({ hour }) => hour >= 0 && hour < 24)
      .sort((a, b) => a.hour - b.hour || a.i - b.i)
      .map(({ line }) => line);
    const day = range('detection', '2025-03-01', '2025-03-02');
    for (const pageRows of [1, 2, 3, 100]) {
      expect(await collect(bench, acme, day, pageRows)).toEqual(wanted);
    }
    const narrow = range('detection', '2025-03-01T01:00:00Z', '2025-03-01T04:00:00+01:00');
    expect(await collect(bench, acme, narrow, 2)).toEqual([acmeDetections[1], acmeDetections[7]]);
  });

  it('never gives another customer account or another kind', async () => {
    const everything = range('detection', '2000-01-01', '2100-01-01');
    const lines = await collect(bench, acme, everything, 3);
    expect(lines).toHaveLength(ACME_HOURS.length);
    expect(lines.every((line) => line.includes('msg=acme'))).toBe(true);

    const flows = await collect(
      bench,
      acme,
      range('network-activity', '2025-03-01', '2025-03-02'),
      1,
    );
    expect(flows.map((line) => JSON.parse(line).flow_id)).toEqual([1, 0]);
    expect(await collect(bench, acme, range('syslog', '2000-01-01', '2100-01-01'), 5)).toEqual([]);

    const received = new Date(bench.clock.now().getTime());
    const quarantine = parseExportRange({
      kind: 'quarantined',
      from: received.toISOString(),
      to: new Date(received.getTime() + 1).toISOString(),
    });
    expect(await collect(bench, acme, quarantine, 5)).toEqual([garbageLine(1)]);
  });

  it('answers an unknown account, an unknown GUID and a foreign GUID alike', async () => {
    const attempts = [
      ['acme', GLOBEX_GUID],
      ['nobody', GUID],
      ['acme', 'AAAAAAAA-0000-0000-0000-000000000001'],
      ['acme', 'not-a-guid'],
    ];
    for (const [customer = '', guid = ''] of attempts) {
      const failure = await findExportTarget(bench.store.db, customer, guid).catch(
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(AppError);
      expect(failure).toMatchObject({ code: 'not_found', message: 'registered product not found' });
    }
    const globex = await findExportTarget(bench.store.db, 'globex', GLOBEX_GUID);
    expect(globex.customerId).not.toBe(acme.customerId);
  });

  it('writes the text one stored line per line, named for a download', async () => {
    const day = range('network-activity', '2025-03-01', '2025-03-02T00:00:00Z');
    let text = '';
    for await (const chunk of exportText(exportPages(bench.store.db, acme, day, 1))) text += chunk;
    expect(text.split('\n')).toHaveLength(3);
    expect(text.endsWith('\n')).toBe(true);
    expect(exportFileName(acme, day)).toBe(
      `acme_${GUID}_network-activity_20250301T000000Z_20250302T000000Z.log`,
    );
  });
});

describe('reading an export request', () => {
  it.each([
    [{ kind: 'bogus', from: '2025-03-01', to: '2025-03-02' }, /^kind must be one of detection,/],
    [{ kind: ['detection'], from: '2025-03-01', to: '2025-03-02' }, /^kind must be one of/],
    [{ kind: 'detection', from: 'yesterday', to: '2025-03-02' }, /^from must be an ISO 8601/],
    [{ kind: 'detection', from: '2025-02-30', to: '2025-03-02' }, /^from must be an ISO 8601/],
    [{ kind: 'detection', from: '2025-03-01', to: '2025-03-02T10:00:00' }, /^to must be/],
    [{ kind: 'detection', from: '2025-03-01', to: '2025-03-01T24:00:00Z' }, /^to must be/],
    [{ kind: 'detection', from: '2025-03-02', to: '2025-03-01' }, /earlier than to/],
    [{ kind: 'quarantined', from: undefined, to: '2025-03-01' }, /^from must be/],
  ])('refuses %j', (input, message) => {
    expect(() => parseExportRange(input)).toThrow(message);
  });

  it('reads dates as midnight UTC and times with their zone', () => {
    const read = parseExportRange({
      kind: 'url-filtering',
      from: '2025-03-01',
      to: '2025-03-01T10:30:00.5+02:00',
    });
    expect(read.from.toISOString()).toBe('2025-03-01T00:00:00.000Z');
    expect(read.to.toISOString()).toBe('2025-03-01T08:30:00.500Z');
  });
});
