import { ingestFrame, type NewDetection } from '../../src/ingest/lines.js';
import { detectionRow, ddiLine, type RowOwner } from './ddi-line.js';
import { detectionSpecs } from './world.js';

/** Every column but where the line sat and the vendor fields' key order. */
const COMPARED: ReadonlyArray<keyof NewDetection> = [
  'eventTime',
  'skewSeconds',
  'format',
  'truncated',
  'warnings',
  'raw',
  'severity',
  'detectionName',
  'detectionType',
  'threatType',
  'engine',
  'direction',
  'protocol',
  'ruleId',
  'action',
  'sourceIp',
  'sourceHost',
  'destinationIp',
  'destinationHost',
  'affectedHost',
  'url',
  'fileName',
  'fileSha256',
];

/**
 * Fails unless detectionRow builds what ingestion makes of the same DDI lines: a fill built
 * without parsing must hold the rows, summaries and incidents real ingestion would.
 */
export function checkRowsAgree(samples: number): void {
  const owner: RowOwner = { customerId: 1, productId: 1, receivedFileId: 1 };
  const receiveTime = Date.parse('2025-06-01T00:00:00Z');
  const start = receiveTime - 86_400_000;
  for (const spec of detectionSpecs(7, start, 86_400_000, samples)) {
    const text = ddiLine(spec);
    const bytes = Buffer.from(text);
    const frame = {
      bytes,
      text,
      validUtf8: true,
      truncated: false,
      receivedBytes: bytes.length,
      start: 0,
      end: bytes.length + 1,
      framingError: null,
    };
    const source = { ...owner, receiveTime: new Date(receiveTime), timeZone: 'UTC' };
    const ingested = ingestFrame(frame, { ...source, fileFormat: 'cef' });
    const built = detectionRow(spec, owner, 0, receiveTime);
    if (ingested.kind !== 'detection')
      throw new Error(`ingestion did not see a detection: ${text}`);
    for (const column of COMPARED) {
      if (ingested.row[column] !== built[column]) {
        const saw = `${String(ingested.row[column])} vs ${String(built[column])}`;
        throw new Error(`the fill's ${column} differs from ingestion's (${saw}) for ${text}`);
      }
    }
  }
}
