import type { Kysely } from 'kysely';

import { BulkInsert } from '../storage/bulk-insert.js';
import type { Store } from '../storage/database.js';
import type { Engine } from '../storage/engine.js';
import type { NewDetection, NewOtherEvent, NewQuarantinedLine } from './lines.js';

type Columns<Row> = ReadonlyArray<readonly [keyof Row & string, string]>;

const LOG_LINE_COLUMNS = [
  ['customerId', 'customer_id'],
  ['productId', 'product_id'],
  ['receivedFileId', 'received_file_id'],
  ['lineOffset', 'line_offset'],
  ['eventTime', 'event_time'],
  ['receiveTime', 'receive_time'],
  ['skewSeconds', 'skew_seconds'],
  ['format', 'format'],
  ['truncated', 'truncated'],
  ['warnings', 'warnings'],
  ['vendorFields', 'vendor_fields'],
  ['raw', 'raw'],
] as const;

const DETECTION_COLUMNS: Columns<NewDetection> = [
  ...LOG_LINE_COLUMNS,
  ['severity', 'severity'],
  ['detectionName', 'detection_name'],
  ['detectionType', 'detection_type'],
  ['threatType', 'threat_type'],
  ['engine', 'engine'],
  ['direction', 'direction'],
  ['protocol', 'protocol'],
  ['ruleId', 'rule_id'],
  ['action', 'action'],
  ['sourceIp', 'source_ip'],
  ['sourceHost', 'source_host'],
  ['destinationIp', 'destination_ip'],
  ['destinationHost', 'destination_host'],
  ['affectedHost', 'affected_host'],
  ['url', 'url'],
  ['fileName', 'file_name'],
  ['fileSha256', 'file_sha256'],
];

const OTHER_EVENT_COLUMNS: Columns<NewOtherEvent> = [
  ...LOG_LINE_COLUMNS,
  ['kind', 'kind'],
  ['severity', 'severity'],
  ['name', 'name'],
  ['sourceIp', 'source_ip'],
  ['destinationIp', 'destination_ip'],
  ['application', 'application'],
  ['url', 'url'],
  ['urlCategory', 'url_category'],
  ['action', 'action'],
];

const QUARANTINE_COLUMNS: Columns<NewQuarantinedLine> = [
  ['customerId', 'customer_id'],
  ['productId', 'product_id'],
  ['receivedFileId', 'received_file_id'],
  ['lineOffset', 'line_offset'],
  ['receiveTime', 'receive_time'],
  ['reason', 'reason'],
  ['truncated', 'truncated'],
  ['line', 'line'],
  ['rawBase64', 'raw_base64'],
];

export interface LogRows {
  detections: NewDetection[];
  otherEvents: NewOtherEvent[];
  quarantined: NewQuarantinedLine[];
}

interface Inserts {
  detections: BulkInsert<NewDetection>;
  otherEvents: BulkInsert<NewOtherEvent>;
  quarantined: BulkInsert<NewQuarantinedLine>;
}

const byEngine = new Map<Engine, Inserts>();

function insertsFor(engine: Engine): Inserts {
  let inserts = byEngine.get(engine);
  if (inserts === undefined) {
    inserts = {
      detections: new BulkInsert(engine, 'detections', DETECTION_COLUMNS),
      otherEvents: new BulkInsert(engine, 'other_events', OTHER_EVENT_COLUMNS),
      quarantined: new BulkInsert(engine, 'quarantined_lines', QUARANTINE_COLUMNS),
    };
    byEngine.set(engine, inserts);
  }
  return inserts;
}

/** Stores a batch's rows on `db` (the batch's transaction). */
export async function insertLogRows(
  db: Kysely<unknown>,
  store: Pick<Store, 'engine' | 'sqlite'>,
  rows: LogRows,
): Promise<void> {
  const inserts = insertsFor(store.engine);
  await inserts.detections.insert(db, store.sqlite, rows.detections);
  await inserts.otherEvents.insert(db, store.sqlite, rows.otherEvents);
  await inserts.quarantined.insert(db, store.sqlite, rows.quarantined);
}
