/**
 * The one shape every appliance log parser produces (PRODUCT.md, "Appliance wire formats").
 * Ingestion adds the receive time and decides detection versus other event; parsers only
 * translate a line into this record and never throw.
 */

export type RecordFormat = 'cef' | 'leef1' | 'leef2' | 'syslog3164' | 'syslog5424' | 'kv' | 'json';

/** Known threat, potential threat, or an OCS (outbreak containment) event. */
export type DetectionType = 'known' | 'potential' | 'ocs';

/** One side of a connection: the attacker or victim host as the appliance saw it. */
export interface Endpoint {
  host: string | null;
  ip: string | null;
  port: number | null;
  mac: string | null;
  group: string | null;
  zone: string | null;
  /** Directory (AD) account logged on at that host. */
  account: string | null;
}

export interface FileInfo {
  name: string | null;
  type: string | null;
  size: number | null;
  sha1: string | null;
  sha256: string | null;
  md5: string | null;
}

export interface MailInfo {
  sender: string | null;
  recipient: string | null;
  subject: string | null;
}

export interface ApplianceIdentity {
  guid: string | null;
  host: string | null;
  ip: string | null;
}

export interface Severity {
  /** 0 (informational) to 10 (most severe); null when the vendor gave none we understand. */
  level: number | null;
  /** The vendor's own text, kept because scales differ between products. */
  original: string | null;
}

export interface NormalisedRecord {
  format: RecordFormat;
  /** Null when the line had no time or one we could not read; eventTimeText keeps the text. */
  eventTime: Date | null;
  eventTimeText: string | null;
  vlan: number | null;
  detectionName: string | null;
  engine: string | null;
  direction: string | null;
  threatType: string | null;
  detectionType: DetectionType | null;
  severity: Severity;
  protocol: string | null;
  ruleId: string | null;
  reason: string | null;
  /** Mitigation or OCS action the appliance took. */
  action: string | null;
  source: Endpoint;
  destination: Endpoint;
  file: FileInfo;
  url: string | null;
  mail: MailInfo;
  appliance: ApplianceIdentity;
  vendor: string | null;
  product: string | null;
  version: string | null;
  eventClassId: string | null;
  name: string | null;
  /** Every original key and value; custom labelled fields appear under their label. */
  vendorFields: Record<string, string>;
  /**
   * Why the line was only partly understood (stable short codes, each at most once). A record
   * with warnings is still kept: ingestion counts them as parse warnings, never drops the event.
   */
  warnings: string[];
  /** Free text the event carries: a syslog MSG after its header, a key=value `msg`. */
  message?: string;
}

export type ParseResult = { ok: true; record: NormalisedRecord } | { ok: false; reason: string };

export function emptyEndpoint(): Endpoint {
  return { host: null, ip: null, port: null, mac: null, group: null, zone: null, account: null };
}

/** A record with every field unknown, for a parser to fill in. */
export function emptyRecord(format: RecordFormat): NormalisedRecord {
  return {
    format,
    eventTime: null,
    eventTimeText: null,
    vlan: null,
    detectionName: null,
    engine: null,
    direction: null,
    threatType: null,
    detectionType: null,
    severity: { level: null, original: null },
    protocol: null,
    ruleId: null,
    reason: null,
    action: null,
    source: emptyEndpoint(),
    destination: emptyEndpoint(),
    file: { name: null, type: null, size: null, sha1: null, sha256: null, md5: null },
    url: null,
    mail: { sender: null, recipient: null, subject: null },
    appliance: { guid: null, host: null, ip: null },
    vendor: null,
    product: null,
    version: null,
    eventClassId: null,
    name: null,
    vendorFields: emptyVendorFields(),
    warnings: [],
  };
}

/** Keys come from the wire, so a key such as `__proto__` must stay an ordinary key. */
export function emptyVendorFields(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** Adds a warning code once, so a hostile line cannot grow the list without bound. */
export function warn(record: NormalisedRecord, code: string): void {
  if (!record.warnings.includes(code)) record.warnings.push(code);
}

export function accepted(record: NormalisedRecord): ParseResult {
  return { ok: true, record };
}

export function rejected(reason: string): ParseResult {
  return { ok: false, reason };
}
