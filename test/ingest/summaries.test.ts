import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import type { IngestedLine } from '../../src/ingest/lines.js';
import { SummaryTally, type SummaryCount } from '../../src/ingest/summaries.js';

const HOUR_MS = 3_600_000;

/** The tally as the dashboards define it, counted the plain way: one text key per count. */
function plainTally(lines: readonly IngestedLine[]): SummaryCount[] {
  const counts = new Map<string, SummaryCount>();
  const count = (
    customerId: number,
    time: number,
    dimension: string,
    value: string | number | null | undefined,
  ) => {
    const hour = Math.floor(time / HOUR_MS) * HOUR_MS;
    const text = value === null || value === undefined || value === '' ? 'unknown' : String(value);
    const cut = text.slice(0, 200);
    const key = JSON.stringify([customerId, hour, dimension, cut]);
    const known = counts.get(key);
    if (known !== undefined) known.count += 1;
    else counts.set(key, { customerId, hour, dimension, value: cut, count: 1 } as SummaryCount);
  };
  for (const line of lines) {
    if (line.kind === 'quarantine') {
      count(line.row.customerId, line.row.receiveTime, 'kind', 'quarantined');
      continue;
    }
    const { customerId, eventTime } = line.row;
    if (line.kind === 'detection') {
      const row = line.row;
      count(customerId, eventTime, 'kind', 'detection');
      count(customerId, eventTime, 'severity', row.severity);
      count(customerId, eventTime, 'threat', row.detectionName);
      count(customerId, eventTime, 'host', row.affectedHost);
      count(customerId, eventTime, 'protocol', row.protocol);
      count(customerId, eventTime, 'direction', row.direction);
      count(customerId, eventTime, 'detectionType', row.detectionType);
      continue;
    }
    const row = line.row;
    count(customerId, eventTime, 'kind', row.kind);
    if (row.kind === 'application-filter')
      count(customerId, eventTime, 'application', row.application);
    if (row.kind === 'url-filtering') count(customerId, eventTime, 'urlCategory', row.urlCategory);
  }
  return [...counts.values()];
}

const sorted = (counts: readonly SummaryCount[]) =>
  [...counts].sort((a, b) =>
    JSON.stringify([a.customerId, a.hour, a.dimension, a.value]).localeCompare(
      JSON.stringify([b.customerId, b.hour, b.dimension, b.value]),
    ),
  );

const text = fc.oneof(
  fc.constant(null),
  fc.constant(''),
  fc.constantFrom('TROJ_X', 'host-1', 'HTTP', 'inbound', 'unknown'),
  fc.string({ minLength: 190, maxLength: 220 }),
);
const common = {
  customerId: fc.integer({ min: 1, max: 3 }),
  time: fc.integer({ min: 0, max: 4 * HOUR_MS }).map((t) => t - HOUR_MS),
};

const detection = fc.record({ ...common, severity: fc.constantFrom(null, 0, 5, 10), value: text });
const other = fc.record({
  ...common,
  kind: fc.constantFrom('application-filter', 'url-filtering', 'system'),
  value: text,
});

const line: fc.Arbitrary<IngestedLine> = fc.oneof(
  detection.map(({ customerId, time, severity, value }) => ({
    kind: 'detection' as const,
    warnings: 0,
    row: {
      customerId,
      eventTime: time,
      severity,
      detectionName: value,
      affectedHost: value === null ? 'h' : null,
      protocol: value,
      direction: 'inbound',
      detectionType: value === null ? null : 'known',
    } as unknown as IngestedLine['row'],
  })) as fc.Arbitrary<IngestedLine>,
  other.map(({ customerId, time, kind, value }) => ({
    kind: 'other' as const,
    warnings: 0,
    row: { customerId, eventTime: time, kind, application: value, urlCategory: value },
  })) as unknown as fc.Arbitrary<IngestedLine>,
  common.customerId.chain((customerId) =>
    common.time.map((receiveTime) => ({
      kind: 'quarantine' as const,
      row: { customerId, receiveTime },
    })),
  ) as unknown as fc.Arbitrary<IngestedLine>,
);

describe('SummaryTally', () => {
  it('counts every line once per dimension, by customer and hour', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 200 }), (lines) => {
        const tally = new SummaryTally();
        for (const each of lines) tally.add(each);
        expect(sorted(tally.counts())).toEqual(sorted(plainTally(lines)));
      }),
      { numRuns: 500 },
    );
  });
});
