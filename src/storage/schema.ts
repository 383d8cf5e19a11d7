import type { Generated, Insertable, Selectable } from 'kysely';

/**
 * The database as the code sees it (camelCase; columns are snake_case). Times are epoch
 * milliseconds and flags are 0 / 1 integers, so that SQLite and PostgreSQL run the same queries.
 * Every table that holds a customer's data carries customerId.
 */
export interface Schema {
  customerAccounts: CustomerAccountTable;
  registrationCredentials: RegistrationCredentialTable;
  logonNames: LogonNameTable;
  administrators: AdministratorTable;
  portalLogons: PortalLogonTable;
  registeredProducts: RegisteredProductTable;
  customerCounters: CustomerCounterTable;
  auditEvents: AuditEventTable;
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
}

export interface CustomerCounterTable {
  customerId: number;
  linesReceived: number;
  detections: number;
  otherEvents: number;
  quarantined: number;
  purged: number;
  incidents: number;
  cases: number;
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
export type NewAuditEvent = Insertable<AuditEventTable>;
