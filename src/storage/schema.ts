import type { Generated, Insertable, Selectable } from 'kysely';

import type { ForensicsSchema } from './schema-forensics.js';
import type { OcsSchema } from './schema-ocs.js';
import type { PatternSchema } from './schema-patterns.js';
import type { StatusSchema } from './schema-status.js';

/**
 * The database as the code sees it (camelCase; columns are snake_case). Times are epoch
 * milliseconds and flags are 0 / 1 integers, so that SQLite and PostgreSQL run the same queries.
 * Every table that holds a customer's data carries customerId.
 */
export interface Schema extends StatusSchema, PatternSchema, ForensicsSchema, OcsSchema {
  customerAccounts: CustomerAccountTable;
  registrationCredentials: RegistrationCredentialTable;
  logonNames: LogonNameTable;
  administrators: AdministratorTable;
  portalLogons: PortalLogonTable;
  registeredProducts: RegisteredProductTable;
  receivedFiles: ReceivedFileTable;
  customerCounters: CustomerCounterTable;
  productCounters: ProductCounterTable;
  detections: DetectionTable;
  otherEvents: OtherEventTable;
  quarantinedLines: QuarantinedLineTable;
  hourlySummaries: HourlySummaryTable;
  incidents: IncidentTable;
  auditEvents: AuditEventTable;
  ssoSessions: SsoSessionTable;
  casTickets: CasTicketTable;
  casServices: CasServiceTable;
  logonThrottle: LogonThrottleTable;
  webSessions: WebSessionTable;
  administratorCustomers: AdministratorCustomerTable;
  settings: SettingTable;
  alarms: AlarmTable;
}

export type CustomerStatus = 'active' | 'disabled';

export interface CustomerAccountTable {
  id: Generated<number>;
  name: string;
  company: string | null;
  timeZone: string;
  language: string;
  status: CustomerStatus;
  createdAt: number;
  disabledAt: number | null;
}

export interface RegistrationCredentialTable {
  customerId: number;
  userName: string;
  /** AES-256-GCM under the secrets key: the rsync daemon challenge needs the secret itself. */
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousValidUntil: number | null;
  updatedAt: number;
}

export type LogonKind = 'administrator' | 'portal' | 'registration';

/** One row per user name of any kind, so that a name is unique across all three kinds. */
export interface LogonNameTable {
  nameKey: string;
  userName: string;
  kind: LogonKind;
  customerId: number | null;
}

export interface AdministratorTable {
  id: Generated<number>;
  userName: string;
  passwordHash: string;
  mustChangePassword: number;
  builtIn: number;
  /** 'all' for administrators who see every customer account; else only those assigned. */
  scope: 'all' | 'assigned';
  status: 'active' | 'disabled';
  createdAt: number;
  /** Optional TOTP second factor, sealed like registration secrets. */
  totpSecretCiphertext: string | null;
  totpLastStep: number | null;
  passwordChangedAt: number | null;
}

export interface PortalLogonTable {
  id: Generated<number>;
  customerId: number;
  userName: string;
  passwordHash: string;
  mustChangePassword: number;
  status: 'active' | 'disabled';
  createdAt: number;
}

export interface RegisteredProductTable {
  id: Generated<number>;
  customerId: number;
  guid: string;
  type: string | null;
  hostName: string | null;
  ipAddress: string | null;
  version: string | null;
  firstRegisteredAt: number;
  lastHeartbeatAt: number | null;
  lastLogReceivedAt: number | null;
  /** Set when the appliance said it was going offline; cleared by its next heartbeat. */
  offlineAnnouncedAt: number | null;
  /** IANA zone its year-less, zone-less time stamps are read in (heartbeat or CLI). */
  timeZone: string | null;
}

/** A file received complete and verified into an appliance's area. */
export interface ReceivedFileTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  /** The file's path inside the appliance's area, as the appliance named it. */
  name: string;
  size: number;
  /** Lower-case hex SHA-256 of the whole file as stored. */
  sha256: string;
  /** Seconds since the epoch, as the appliance reported it (its clock, not ours). */
  mtime: number;
  /** On the server's clock. */
  receivedAt: number;
  /** How many bytes ingestion has read, committed with the records those bytes produced. */
  ingestedLength: number;
  /** Lower-case hex SHA-256 of the first ingestedLength bytes; null until ingestion reads. */
  ingestedSha256: string | null;
  /** Set with ingestedAt: how ingestion ended with this version (see IngestOutcome). */
  ingestedAt: number | null;
  ingestOutcome: IngestOutcome | null;
}

/**
 * ingested: read to its end; replaced: its start differed from what was read of the earlier
 * version, so it was read from its first byte; superseded: a newer version arrived first and
 * was read in its place; missing: the file was gone before it was read to its end.
 */
export type IngestOutcome = 'ingested' | 'replaced' | 'superseded' | 'missing';

export interface CustomerCounterTable {
  customerId: number;
  linesReceived: number;
  detections: number;
  otherEvents: number;
  quarantined: number;
  purged: number;
  incidents: number;
  cases: number;
  parseWarnings: number;
}

export interface ProductCounterTable {
  productId: number;
  customerId: number;
  linesReceived: number;
  detections: number;
  otherEvents: number;
  quarantined: number;
  parseWarnings: number;
  purged: number;
}

/** Columns every stored log line has. Times are epoch milliseconds. */
interface LogLineColumns {
  id: Generated<number>;
  customerId: number;
  productId: number;
  receivedFileId: number;
  /** Byte offset of the line in its file. */
  lineOffset: number;
  /** The appliance's time for the event; the receive time when it gave none we could read. */
  eventTime: number;
  receiveTime: number;
  /** How far ahead of the receive time the appliance's stamp was, when suspiciously far. */
  skewSeconds: number | null;
  format: string;
  truncated: number;
  /** Parser warning codes, comma-separated; null when none. */
  warnings: string | null;
  /** JSON object of the vendor's original keys and values. */
  vendorFields: string;
  /** The line as received (UTF-8). */
  raw: string;
}

export interface DetectionTable extends LogLineColumns {
  severity: number | null;
  detectionName: string | null;
  detectionType: string | null;
  threatType: string | null;
  engine: string | null;
  direction: string | null;
  protocol: string | null;
  ruleId: string | null;
  action: string | null;
  sourceIp: string | null;
  sourceHost: string | null;
  destinationIp: string | null;
  destinationHost: string | null;
  /** The host inside the customer's network the detection concerns (see ingest/kinds.ts). */
  affectedHost: string | null;
  url: string | null;
  fileName: string | null;
  fileSha256: string | null;
}

export interface OtherEventTable extends LogLineColumns {
  kind: string;
  severity: number | null;
  name: string | null;
  sourceIp: string | null;
  destinationIp: string | null;
  application: string | null;
  url: string | null;
  urlCategory: string | null;
  action: string | null;
}

export interface QuarantinedLineTable {
  id: Generated<number>;
  customerId: number;
  productId: number;
  receivedFileId: number;
  lineOffset: number;
  receiveTime: number;
  reason: string;
  truncated: number;
  /** The kept bytes as UTF-8, with U+FFFD where they were not valid. */
  line: string;
  /** The kept bytes themselves, only when they were not valid UTF-8. */
  rawBase64: string | null;
}

export interface HourlySummaryTable {
  id: Generated<number>;
  customerId: number;
  /** Start of the UTC hour, epoch ms, of the events' time. */
  hour: number;
  dimension: string;
  value: string;
  count: number;
}

export interface IncidentTable {
  id: Generated<number>;
  customerId: number;
  rule: string;
  threat: string;
  host: string;
  firstSeen: number;
  lastSeen: number;
  detections: number;
  severity: number | null;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: number;
  actor: string;
  source: string;
  action: string;
  target: string | null;
  customerId: number | null;
  result: 'success' | 'failure';
  detail: string | null;
}

export type CustomerAccount = Selectable<CustomerAccountTable>;
export type RegisteredProduct = Selectable<RegisteredProductTable>;
export type ReceivedFile = Selectable<ReceivedFileTable>;
export type NewAuditEvent = Insertable<AuditEventTable>;

/** A CAS single sign-on session; its id is the ticket-granting ticket (TGT-…). */
export interface SsoSessionTable {
  id: string;
  userName: string;
  principalKind: LogonKind;
  customerId: number | null;
  source: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  endedAt: number | null;
  /** Set while the user must change their password: the session grants no ticket until then. */
  passwordChangePending: number;
}

export type CasTicketKind = 'ST' | 'PT' | 'PGT';

export interface CasTicketTable {
  ticket: string;
  kind: CasTicketKind;
  sessionId: string;
  /** The exact service the ticket was issued for (for a PGT: its proxy callback URL). */
  service: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** 1 when the ticket came from a logon with credentials just now, not from the SSO cookie. */
  fromNewLogin: number;
  /** JSON array of proxy callback URLs, nearest first (CAS 2.0 <cas:proxies>). */
  proxyChain: string;
  /** For a PT: the PGT it was granted with; for a PGT: the ticket it was validated with. */
  parentTicket: string | null;
}

export interface CasServiceTable {
  id: Generated<number>;
  url: string;
  kind: 'service' | 'proxy_callback';
  description: string;
  createdAt: number;
}

export interface LogonThrottleTable {
  key: string;
  failures: number;
  windowStartedAt: number;
  lockedUntil: number | null;
}

/** A console or portal session, found by the hash of its cookie value. */
export interface WebSessionTable {
  idHash: string;
  server: 'admin' | 'portal';
  /** The service ticket it was created from: single logout names it. */
  ticket: string;
  userName: string;
  role: string;
  /** JSON array of the customer account names the user may see. */
  customerNames: string;
  mustChangePassword: number;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface AdministratorCustomerTable {
  id: Generated<number>;
  administratorId: number;
  customerId: number;
}

export interface SettingTable {
  key: string;
  value: string;
}

/** A condition an operator must hear of; open while clearedAt is null. */
export interface AlarmTable {
  id: Generated<number>;
  /** What is wrong, e.g. 'store_unwritable'. */
  kind: string;
  raisedAt: number;
  clearedAt: number | null;
  /** A JSON object with what a notification shows; never a secret. */
  detail: string;
  /** The customer account concerned, or null for the whole system. */
  customerId: number | null;
}

export type * from './schema-status.js';
export type * from './schema-patterns.js';
export type * from './schema-forensics.js';
export type * from './schema-ocs.js';
