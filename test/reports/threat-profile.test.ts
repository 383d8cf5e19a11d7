import { afterEach, describe, expect, it } from 'vitest';

import { threatProfile, type Ranked } from '../../src/reports/threat-profile.js';
import { ENGINES } from '../support/databases.js';
import { ingestBench, type IngestBench } from '../ingest/ingest-helpers.js';

const FROM = new Date('2025-03-01T00:00:00Z');
const TO = new Date('2025-03-04T00:00:00Z');
const HOUR_MS = 3_600_000;
const SEVERITIES = [2, 4, 6, 8, 10];
const PROTOCOLS = ['HTTP', 'SMTP', 'DNS', 'SMB', null];
const DIRECTIONS = ['0', '1', '2', null];
const DETECTION_TYPES = ['Known Threat', 'Potential Threat', 'OCS', null];

interface Spec {
  time: number;
  threat: string;
  host: string;
  index: number;
}

/** A DDI threat log line with the varying parts set and the rest as DDI writes them. */
function ddiLine({ time, threat, host, index }: Spec): string {
  const optional = (key: string, values: ReadonlyArray<string | null>) => {
    const value = values[index % values.length];
    return value === null || value === undefined ? '' : ` ${key}=${value}`;
  };
  const severity = SEVERITIES[index % SEVERITIES.length] ?? 6;
  const stamp = new Date(time)
    .toUTCString()
    .slice(5, 25)
    .replace(/^(\d\d) (\w+)/, '$2 $1');
  return (
    `CEF:0|Trend Micro|Deep Discovery Inspector|6.0|1539|Rule ${index % 3}|${severity}|` +
    `rt=${stamp} GMT+00:00 src=198.51.100.${index % 200} dst=10.1.0.${index % 250} ` +
    `dhost=${host} malName=${threat} act=not blocked` +
    optional('app', PROTOCOLS) +
    optional('deviceDirection', DIRECTIONS) +
    optional('detectionType', DETECTION_TYPES)
  );
}

/** Threat k is seen k + 1 times, so that every top-10 cut is unambiguous. */
function detectionSpecs(): Spec[] {
  const specs: Spec[] = [];
  for (let k = 0; k < 12; k += 1) {
    for (let j = 0; j <= k; j += 1) {
      const hour = (k * 7 + j * 13) % 72;
      const time = FROM.getTime() + hour * HOUR_MS + j * 60_000;
      specs.push({
        time,
        threat: `TROJ_TEST.${k}`,
        host: `host-${(k + j) % 9}`,
        index: specs.length,
      });
    }
  }
  // Just outside the range on either side: they must not count.
  specs.push({ time: FROM.getTime() - 1, threat: 'TROJ_EARLY', host: 'host-1', index: 1 });
  specs.push({ time: TO.getTime(), threat: 'TROJ_LATE', host: 'host-1', index: 2 });
  return specs;
}

function otherLines(): string[] {
  const header = 'CEF:0|Trend Micro|Deep Discovery Inspector|6.0';
  const rt = 'rt=Mar 02 2025 10:00:00 GMT+00:00 src=10.1.0.5 dst=198.51.100.9';
  const apps = ['BitTorrent', 'BitTorrent', 'BitTorrent', 'Skype', 'Skype', 'Tor'];
  const categories = ['Gambling', 'Gambling', 'Malware Sites'];
  return [
    ...apps.map((app) => `${header}|100120|Disruptive application|2|${rt} appName=${app}`),
    ...categories.map((cat) => `${header}|URL_FILTERING|URL blocked|3|${rt} cat=${cat}`),
    'not a log line',
  ];
}

function ranked(values: ReadonlyArray<string | number | null>, limit?: number): Ranked[] {
  const counts = new Map<string, number>();
  for (const raw of values) {
    const value = raw === null || raw === '' ? 'unknown' : String(raw);
    counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  return [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
    .slice(0, limit);
}

describe.each(ENGINES)('threat profile on %s', (engine) => {
  let bench: IngestBench;
  afterEach(async () => {
    await bench.close();
  });

  async function ingested(): Promise<IngestBench> {
    const made = await ingestBench(engine, { batchLines: 20 });
    const text = [...detectionSpecs().map(ddiLine), ...otherLines()].join('\n');
    await made.deliver('ddi.log', `${text}\n`);
    await made.ingestAll();
    return made;
  }

  it('agrees with the detections, other events and incidents stored', async () => {
    bench = await ingested();
    const profile = await threatProfile(bench.store.db, bench.customerId, { from: FROM, to: TO });

    const detections = await bench.store.db
      .selectFrom('detections')
      .selectAll()
      .where('eventTime', '>=', FROM.getTime())
      .where('eventTime', '<', TO.getTime())
      .execute();
    expect(detections).toHaveLength(78);
    expect(profile.detections).toBe(detections.length);
    expect(profile.topThreats).toEqual(
      ranked(
        detections.map((d) => d.detectionName),
        10,
      ),
    );
    expect(profile.topThreats[0]).toEqual({ value: 'TROJ_TEST.11', count: 12 });
    expect(profile.topHosts).toEqual(
      ranked(
        detections.map((d) => d.affectedHost),
        10,
      ),
    );
    expect(profile.bySeverity).toEqual(ranked(detections.map((d) => d.severity)));
    expect(profile.byProtocol).toEqual(ranked(detections.map((d) => d.protocol)));
    expect(profile.byDirection).toEqual(ranked(detections.map((d) => d.direction)));
    expect(profile.byDetectionType).toEqual(ranked(detections.map((d) => d.detectionType)));
    const ocs = detections.filter((d) => d.detectionType === 'ocs').length;
    expect(ocs).toBeGreaterThan(0);
    expect(profile.ocsEvents).toBe(ocs);

    const perDay = ranked(detections.map((d) => new Date(d.eventTime).toISOString().slice(0, 10)));
    expect(profile.days.map((day) => day.day)).toEqual(['2025-03-01', '2025-03-02', '2025-03-03']);
    for (const day of profile.days) {
      expect(day.detections).toBe(perDay.find((entry) => entry.value === day.day)?.count ?? 0);
    }
  });

  it('counts incidents by the UTC day they opened', async () => {
    bench = await ingested();
    const profile = await threatProfile(bench.store.db, bench.customerId, { from: FROM, to: TO });
    const incidents = await bench.store.db
      .selectFrom('incidents')
      .select('firstSeen')
      .where('firstSeen', '>=', FROM.getTime())
      .where('firstSeen', '<', TO.getTime())
      .execute();
    const opened = ranked(incidents.map((i) => new Date(i.firstSeen).toISOString().slice(0, 10)));

    expect(profile.incidents).toBe(incidents.length);
    expect(profile.incidents).toBeGreaterThan(12);
    for (const day of profile.days) {
      expect(day.incidents).toBe(opened.find((entry) => entry.value === day.day)?.count ?? 0);
    }
  });

  it('ranks application filter and URL filtering events, and lines by kind', async () => {
    bench = await ingested();
    const profile = await threatProfile(bench.store.db, bench.customerId, { from: FROM, to: TO });
    const others = await bench.store.db.selectFrom('otherEvents').selectAll().execute();
    const ofKind = (kind: string) => others.filter((o) => o.kind === kind);

    expect(profile.topApplications).toEqual(
      ranked(ofKind('application-filter').map((o) => o.application)),
    );
    expect(profile.topApplications[0]).toEqual({ value: 'BitTorrent', count: 3 });
    expect(profile.topUrlCategories).toEqual(
      ranked(ofKind('url-filtering').map((o) => o.urlCategory)),
    );
    expect(profile.byKind).toEqual(
      expect.arrayContaining([
        { value: 'detection', count: 78 },
        { value: 'application-filter', count: 6 },
        { value: 'url-filtering', count: 3 },
        { value: 'quarantined', count: 1 },
      ]),
    );
  });

  it("shows another customer's range as empty days, and refuses a backward range", async () => {
    bench = await ingested();
    const other = await threatProfile(bench.store.db, bench.customerId + 1, { from: FROM, to: TO });
    expect(other.detections).toBe(0);
    expect(other.topThreats).toEqual([]);
    expect(other.days).toHaveLength(3);

    const partial = new Date(FROM.getTime() + 36 * HOUR_MS);
    const late = await threatProfile(bench.store.db, bench.customerId, { from: partial, to: TO });
    expect(late.days.map((day) => day.day)).toEqual(['2025-03-02', '2025-03-03']);
    await expect(
      threatProfile(bench.store.db, bench.customerId, { from: TO, to: FROM }),
    ).rejects.toThrow(RangeError);
  });
});
