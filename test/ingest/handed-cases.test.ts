import { afterEach, describe, expect, it } from 'vitest';

import { ENGINES } from '../support/databases.js';
import { ingestBench, type IngestBench } from './ingest-helpers.js';

/**
 * The handed parser cases once more, through the whole ingestion path into each engine: what
 * a case expects of a parser must also be what is stored.
 */
describe.each(ENGINES)('handed cases through ingestion on %s', (engine) => {
  let bench: IngestBench;
  afterEach(async () => {
    await bench.close();
  });

  async function storedFields(table: 'detections' | 'otherEvents') {
    const rows = await bench.store.db
      .selectFrom(table)
      .select(['vendorFields', 'raw', 'warnings', 'eventTime'])
      .orderBy('lineOffset')
      .execute();
    return rows.map((row) => ({ ...row, fields: JSON.parse(row.vendorFields) as object }));
  }

  it('C01, C02: quoted `=` and `\\=` stay in their values', async () => {
    bench = await ingestBench(engine);
    const c01 =
      "CEF:0|FooBar|Web Gateway|1.2.3.45.67|200|Success|2|rt=Sep 07 2018 14:50:39 cat=Access Log dst=1.1.1.1 request='https://foo.example.com/bar/bingo/1' requestClientApplication='Foo-Bar/2018.1.7; Email:user@example.com; Guid:test=' cs1= cs1Label=Foo Bar";
    const c02 =
      'CEF:0|security|threatmanager|1.0|100|detected a = in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1';
    await bench.deliver('c01.log', `${c01}\n${c02}\n`);
    await bench.ingestAll();

    const all = [...(await storedFields('detections')), ...(await storedFields('otherEvents'))];
    const first = all.find((row) => row.raw === c01);
    expect(first?.fields).toMatchObject({
      requestClientApplication: "'Foo-Bar/2018.1.7; Email:user@example.com; Guid:test='",
      cat: 'Access Log',
    });
    const second = all.find((row) => row.raw === c02);
    expect(Object.keys(second?.fields ?? {}).sort()).toEqual(['act', 'dst', 'src']);
    expect(second?.fields).toMatchObject({ act: 'blocked a =', dst: '1.1.1.1' });
  });

  it('C04: base64 padding and unescaped URLs keep every field; nothing is dropped', async () => {
    bench = await ingestBench(engine);
    const mikrotik = 'CEF:0|MikroTik|RouterOS|7.1|wg|peer|3|pub=Zm9vYmFy= psk=YmF6cXV4= spt=6';
    const ddi =
      'CEF:0|Trend Micro|Deep Discovery Inspector|6.0|1539|Trojan|8|request=http://evil.example/x?a=b&c=d dst=10.0.0.5';
    await bench.deliver('c04.log', `${mikrotik}\n${ddi}\n`);
    await bench.ingestAll();

    const others = await storedFields('otherEvents');
    expect(others[0]?.fields).toMatchObject({ pub: 'Zm9vYmFy=', psk: 'YmF6cXV4=', spt: '6' });
    const detections = await bench.store.db.selectFrom('detections').selectAll().execute();
    expect(detections[0]?.url).toBe('http://evil.example/x?a=b&c=d');
    expect(await bench.counts()).toMatchObject({ linesReceived: 2, quarantined: 0 });
  });

  it('C08: LEEF 2.0 without a delimiter field reads TAB-separated attributes', async () => {
    bench = await ingestBench(engine);
    const leef =
      'LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21';
    const noDelimiter =
      'LEEF:2.0|Trend Micro|Deep Security Agent|20.0|4000030|cat=Anti-Malware\tact=Terminate\tsev=6';
    await bench.deliver('c08.log', `${leef}\n${noDelimiter}\n`);
    await bench.ingestAll();

    const all = [...(await storedFields('detections')), ...(await storedFields('otherEvents'))];
    expect(all.find((row) => row.raw === leef)?.fields).toMatchObject({
      src: '10.0.1.8',
      dst: '10.0.0.5',
      sev: '5',
      srcPort: '81',
      dstPort: '21',
    });
    expect(all.find((row) => row.raw === noDelimiter)?.fields).toMatchObject({ act: 'Terminate' });
  });

  it.each([
    ['2026-01-01T00:00:03Z', '<13>Dec 31 23:59:58 ddi01 test: x', '2025-12-31T23:59:58.000Z'],
    ['2025-12-31T23:59:59Z', '<13>Jan  1 00:00:01 ddi01 test: y', '2026-01-01T00:00:01.000Z'],
  ])('C09: received at %s, %j is read as %s', async (receivedAt, line, expected) => {
    bench = await ingestBench(engine);
    bench.clock.advance(Date.parse(receivedAt) - bench.clock.now().getTime());
    await bench.deliver('c09.log', `${line}\n`);
    await bench.ingestAll();
    const [row] = await storedFields('otherEvents');
    expect(new Date(row?.eventTime ?? 0).toISOString()).toBe(expected);
  });

  it('C09: Feb 29 with no leap year near keeps the receive time and says so', async () => {
    bench = await ingestBench(engine);
    bench.clock.advance(Date.parse('2027-03-01T00:00:00Z') - bench.clock.now().getTime());
    await bench.deliver('c09.log', '<134>Feb 29 14:07:19 ddi01 sshd: z\n');
    await bench.ingestAll();
    const [row] = await storedFields('otherEvents');
    expect(new Date(row?.eventTime ?? 0).toISOString()).toBe('2027-03-01T00:00:00.000Z');
    expect(row?.warnings).toContain('timestamp_invalid');
    expect((await bench.counts()).parseWarnings).toBe(1);
  });

  it('C11: an octet-counted file gives its frames whole, a multi-byte character included', async () => {
    bench = await ingestBench(engine);
    const frames = [
      '<1>1 2003-10-11T22:14:15.003Z host.local - - - -',
      '<3>1 - host.local - - - -',
      // U+1F79, three bytes in UTF-8: the case's 38 octets (U+03CC would make 37).
      '<2>1 - host.local su - - - κ\u1f79σμε',
    ].map((frame) => Buffer.from(frame));
    const stream = Buffer.concat(
      frames.flatMap((frame) => [Buffer.from(`${frame.length} `), frame]),
    );
    await bench.deliver('c11.log', stream);
    await bench.ingestAll();
    const rows = await storedFields('otherEvents');
    expect(rows).toHaveLength(3);
    expect(Buffer.byteLength(rows[2]?.raw ?? '')).toBe(38);
    expect(rows[2]?.raw.endsWith('κ\u1f79σμε')).toBe(true);
  });
});
