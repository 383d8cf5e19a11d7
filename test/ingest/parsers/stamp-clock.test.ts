import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { stampInstant } from '../../../src/ingest/parsers/cef-time.js';
import {
  declaredZone,
  eventTimeFromLine,
  readEventStamp,
} from '../../../src/ingest/parsers/event-time.js';
import { emptyVendorFields } from '../../../src/ingest/parsers/record.js';
import { findStampClock } from '../../../src/ingest/parsers/stamp-clock.js';

/** The line time read whole, with no cache of any kind. */
function readWhole(text: string, fields: Record<string, string>) {
  const stamp = readEventStamp(text, fields.devTimeFormat);
  if (stamp === null) return { readable: false, time: null };
  const context = { timeZone: declaredZone(fields), receiveTime: null };
  return { readable: true, time: stampInstant(stamp, context)?.getTime() ?? null };
}

function readCached(text: string, fields: Record<string, string>) {
  const { readable, time } = eventTimeFromLine(text, fields);
  return { readable, time: time?.getTime() ?? null };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'oct', 'November', 'Smarch'];
const ZONES = ['', ' GMT+08:00', ' GMT', ' +0530', ' -05', ' UTC', ' Z', ' PST', ' Europe/Berlin'];
const DECLARED = [undefined, 'Europe/Berlin', 'GMT+02:00', 'America/New_York', 'Mars/Base'];

const digits = (max: number, width: number) =>
  fc.integer({ min: 0, max }).map((n) => String(n).padStart(width, '0'));

const clock = fc
  .tuple(fc.constantFrom(1, 2), digits(29, 1), digits(70, 2), digits(70, 2))
  .map(([width, hour, minute, second]) => `${hour.padStart(width, '0')}:${minute}:${second}`);

const fraction = fc.constantFrom('', '.5', '.127', ',999999');

const monthFirst = fc
  .tuple(
    fc.constantFrom(...MONTHS),
    digits(32, 2),
    fc.constantFrom('', ' 2024', ' 2025', ' 0099', ','),
    clock,
    fraction,
    fc.constantFrom(...ZONES),
  )
  .map(([month, day, year, time, part, zone]) => `${month} ${day}${year} ${time}${part}${zone}`);

const iso = fc
  .tuple(
    fc.constantFrom('2024', '2025', '0050'),
    digits(13, 2),
    digits(31, 2),
    fc.constantFrom('T', ' ', 't', 'x'),
    clock,
    fraction,
    fc.constantFrom('', 'Z', '+01:00', '-0330', ' +99:00'),
  )
  .map(
    ([year, month, day, sep, time, part, zone]) =>
      `${year}-${month}-${day}${sep}${time}${part}${zone}`,
  );

const stampText = fc.oneof(monthFirst, iso, fc.string({ maxLength: 30 }), clock);

describe('reading a stamp as its day plus its clock', () => {
  it('gives exactly what reading the whole stamp gives', () => {
    fc.assert(
      fc.property(stampText, fc.constantFrom(...DECLARED), (text, zone) => {
        const fields = emptyVendorFields();
        if (zone !== undefined) fields.dtz = zone;
        expect(readCached(text, fields)).toEqual(readWhole(text, fields));
      }),
      { numRuns: 5000 },
    );
  });

  it('reads the stamps of one day in a row, whatever the cache holds', () => {
    const fields = emptyVendorFields();
    for (let second = 0; second < 86_400; second += 7) {
      const at = new Date(Date.UTC(2025, 2, 30) + second * 1000).toISOString().slice(11, 19);
      const text = `Mar 30 2025 ${at} GMT+02:00`;
      expect(readCached(text, fields)).toEqual(readWhole(text, fields));
    }
  });

  it('takes only a clock that is a valid time of day, with no digits around it', () => {
    expect(findStampClock('Mar 09 2015 17:05:21 GMT')).toEqual({
      midnightText: 'Mar 09 2015 00:00:00 GMT',
      sinceMidnightMs: 61_521_000,
    });
    expect(findStampClock('2015-03-09T7:05:21Z')?.midnightText).toBe('2015-03-09T0:00:00Z');
    for (const text of ['Mar 09 2015 24:00:00', '12:60:00', '12:00:61', '123:00:00', '1:00:001']) {
      expect(findStampClock(text)).toBeNull();
    }
  });
});
