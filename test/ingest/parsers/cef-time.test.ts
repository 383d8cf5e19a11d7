import { afterEach, describe, expect, it } from 'vitest';

import { parseCef } from '../../../src/ingest/parsers/cef.js';
import { parseLeef } from '../../../src/ingest/parsers/leef.js';
import { readCefStamp, stampInstant } from '../../../src/ingest/parsers/cef-time.js';
import { resolveEventTime } from '../../../src/ingest/parsers/event-time.js';
import type { NormalisedRecord } from '../../../src/ingest/parsers/record.js';

function instantOf(text: string, timeZone: string | null, receivedAt: string | null) {
  const stamp = readCefStamp(text);
  if (stamp === null) return 'unreadable';
  const receiveTime = receivedAt === null ? null : new Date(receivedAt);
  return stampInstant(stamp, { timeZone, receiveTime })?.toISOString() ?? null;
}

function cefRecord(extension: string, prefix = ''): NormalisedRecord {
  const result = parseCef(
    `${prefix}CEF:0|Trend Micro|Deep Discovery Inspector|6.7|1|n|5|${extension}`,
  );
  if (!result.ok) throw new Error(result.reason);
  return result.record;
}

describe('readCefStamp and stampInstant', () => {
  it.each([
    ['1593761104000', null, '2020-07-03T07:25:04.000Z'],
    ['1593761104', null, '2020-07-03T07:25:04.000Z'],
    ['Mar 09 2015 17:05:21 GMT+08:00', null, '2015-03-09T09:05:21.000Z'],
    ['Mar 09 2015 17:05:21 GMT', null, '2015-03-09T17:05:21.000Z'],
    ['Mar 09 2015 17:05:21.5 +0530', null, '2015-03-09T11:35:21.500Z'],
    ['Jul 19 2017 10:50:21.127 Europe/Moscow', null, '2017-07-19T07:50:21.127Z'],
    ['Jul 19 2017 10:50:21.127', 'Europe/Moscow', '2017-07-19T07:50:21.127Z'],
    ['Oct 30, 2021 10:34:23', 'UTC', '2021-10-30T10:34:23.000Z'],
    ['2021-03-01T20:48:22.900Z', null, '2021-03-01T20:48:22.900Z'],
    ['2016-01-01 01:01:01.0+00:00', null, '2016-01-01T01:01:01.000Z'],
    ['Feb 29 2024 12:00:00 UTC', null, '2024-02-29T12:00:00.000Z'],
  ])('reads %j (zone %s) as %s', (text, zone, iso) => {
    expect(instantOf(text, zone, null)).toBe(iso);
  });

  it.each([
    ['Sep 07 2018 14:50:39', 'no zone'],
    ['Dec 31 23:59:58 UTC', 'no year and no receive time'],
  ])('needs more than the line for %j (%s)', (text) => {
    expect(instantOf(text, null, null)).toBeNull();
  });

  it.each([
    'Feb 29 2025 12:00:00 UTC',
    'Feb 30 14:07:19',
    'Apr 31 2024 00:00:00',
    'Mar 09 2015 25:00:00',
    'Mar 09 2015 17:05:21 PST',
    'Smarch 09 2015 17:05:21',
    '',
    'start',
    `Mar 09 2015 17:05:21 ${'x'.repeat(100)}`,
  ])('reads no instant from %j, rather than rolling it into a neighbour', (text) => {
    expect(instantOf(text, 'UTC', '2025-06-01T00:00:00Z')).toBe('unreadable');
  });
});

describe('year-less stamps (handed cases C09, C10)', () => {
  it.each([
    ['Dec 31 23:59:58', '2026-01-01T00:00:03Z', '2025-12-31T23:59:58.000Z'],
    ['Jan  1 00:00:01', '2025-12-31T23:59:59Z', '2026-01-01T00:00:01.000Z'],
    ['Feb 29 14:07:19', '2027-03-01T00:00:00Z', null],
    ['Feb 29 14:07:19', '2028-03-01T00:00:00Z', '2028-02-29T14:07:19.000Z'],
  ])('C09: %j received at %s is %s', (text, receivedAt, iso) => {
    expect(instantOf(text, 'UTC', receivedAt)).toBe(iso);
  });

  it('C09: picks the year on the sender calendar when the stamp has an offset', () => {
    const iso = instantOf('Dec 31 23:30:00 GMT+08:00', 'UTC', '2025-12-31T16:00:00Z');

    expect(iso).toBe('2025-12-31T15:30:00.000Z');
  });

  describe('C10: the appliance zone is applied before the year is chosen', () => {
    const collectorZone = process.env.TZ;
    afterEach(() => {
      if (collectorZone === undefined) delete process.env.TZ;
      else process.env.TZ = collectorZone;
    });

    it.each(['UTC', 'Asia/Tokyo'])('whatever the collector zone (%s)', (zone) => {
      process.env.TZ = zone;
      const record = cefRecord('rt=Dec 31 20:00:00');
      const appliance = {
        timeZone: 'America/New_York',
        receiveTime: new Date('2026-01-01T01:00:05Z'),
      };

      expect(record.eventTime).toBeNull();
      expect(resolveEventTime(record, appliance)).toEqual(new Date('2026-01-01T01:00:00Z'));
    });
  });
});

describe('resolveEventTime', () => {
  const appliance = { timeZone: 'Asia/Tokyo', receiveTime: new Date('2026-01-01T00:00:03Z') };

  it('completes the syslog header stamp of a CEF line without rt (C09)', () => {
    const record = cefRecord('src=10.0.0.1', '<13>Dec 31 23:59:58 ddi01 ');

    expect(record.eventTimeText).toBe('Dec 31 23:59:58');
    expect(resolveEventTime(record, { ...appliance, timeZone: 'UTC' })).toEqual(
      new Date('2025-12-31T23:59:58Z'),
    );
  });

  it('keeps the zone the line declares in dtz over the appliance setting', () => {
    const record = cefRecord('rt=Dec 31 20:00:00 dtz=Europe/Moscow');

    expect(resolveEventTime(record, appliance)).toEqual(new Date('2025-12-31T17:00:00Z'));
  });

  it('returns the instant the line already named, and null when there is nothing to read', () => {
    expect(resolveEventTime(cefRecord('rt=1593761104000'), appliance)).toEqual(
      new Date(1593761104000),
    );
    expect(resolveEventTime(cefRecord('src=10.0.0.1'), appliance)).toBeNull();
    expect(resolveEventTime(cefRecord('rt=Feb 29 14:07:19'), appliance)).toBeNull();
  });

  it('gives each record its own Date even when lines repeat a stamp', () => {
    const first = cefRecord('rt=1593761104000');
    const second = cefRecord('rt=1593761104000');

    first.eventTime?.setTime(0);
    expect(second.eventTime).toEqual(new Date(1593761104000));
  });
});

describe('parsing with the appliance time context', () => {
  const receiveTime = new Date('2027-03-01T00:00:00Z');

  function parsedWith(line: string, timeZone?: string): NormalisedRecord {
    const result = line.startsWith('LEEF')
      ? parseLeef(line, { timeZone, receiveTime })
      : parseCef(line, { timeZone, receiveTime });
    if (!result.ok) throw new Error(result.reason);
    return result.record;
  }

  it('completes a stamp without zone or year as it parses (C10)', () => {
    const record = parsedWith('CEF:0|v|p|1|id|n|5|rt=Dec 31 20:00:00', 'America/New_York');

    expect(record.eventTime).toEqual(new Date('2027-01-01T01:00:00Z'));
    expect(record.warnings).toEqual([]);
  });

  it('keeps the receive time for an impossible stamp and flags it (C09)', () => {
    const record = parsedWith('LEEF:1.0|v|p|1|id|devTime=Feb 29 14:07:19', 'UTC');

    expect(record.eventTime).toEqual(receiveTime);
    expect(record.eventTime).not.toBe(receiveTime);
    expect(record.eventTimeText).toBe('Feb 29 14:07:19');
    expect(record.warnings).toEqual(['timestamp_invalid']);
  });

  it('reads a zone-less stamp as UTC, flagged, when the appliance zone is unknown', () => {
    const zoneless = parsedWith('CEF:0|v|p|1|id|n|5|rt=Jan 05 2027 10:00:00', 'Mars/Olympus');
    const offset = parsedWith('CEF:0|v|p|1|id|n|5|rt=Jan 05 2027 10:00:00 GMT+01:00', 'Mars/x');

    expect(zoneless.eventTime).toEqual(new Date('2027-01-05T10:00:00Z'));
    expect(zoneless.warnings).toEqual(['time_zone_unknown']);
    expect(offset.eventTime).toEqual(new Date('2027-01-05T09:00:00Z'));
    expect(offset.warnings).toEqual([]);
  });

  it('leaves a line without any stamp to the syslog header or ingestion', () => {
    expect(parsedWith('CEF:0|v|p|1|id|n|5|src=10.0.0.1', 'UTC').eventTime).toBeNull();
  });
});
