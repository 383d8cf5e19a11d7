import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const optionalPath = z.string().min(1).nullable();
/** The address put in URLs and certificates when it differs from the bound one (null: the same). */
const publicHost = z.string().min(1).nullable();

const httpsServer = z.strictObject({ host, port, publicHost });

/** An HTTPS URL a registry can match exactly: no user info, no fragment. */
const serviceUrl = z
  .url({ protocol: /^https$/ })
  .refine((url) => !/^https:\/\/[^/]*@/.test(url) && !url.includes('#'), {
    error: 'must have no user info and no fragment',
  });

/** A retention period: at least a day, at most a century. */
const retentionDays = z.number().int().min(1).max(36_500);

/** After maxFailures failures within windowSeconds, refuse for lockSeconds. */
const throttlePolicy = z.strictObject({
  maxFailures: z.number().int().min(1).max(1_000_000),
  windowSeconds: z.number().int().min(1).max(86_400),
  lockSeconds: z.number().int().min(0).max(86_400),
});

export const configSchema = z.strictObject({
  dataDir: z.string().min(1),
  database: z.strictObject({
    /** null: the embedded SQLite database in the data directory; else a postgres:// URL. */
    url: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL (or null for SQLite)')
      .nullable(),
  }),
  tls: z.strictObject({
    certificateFile: optionalPath,
    keyFile: optionalPath,
    caFile: optionalPath,
    /** Extra names and addresses for the generated server certificate. */
    names: z.array(z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be a host name or address')),
  }),
  keys: z.strictObject({
    sshHostKeyFile: optionalPath,
    secretsKeyFile: optionalPath,
    serviceKeyFile: optionalPath,
  }),
  storage: z.strictObject({ areasDir: optionalPath }),
  servers: z.strictObject({
    admin: z.strictObject({ host, port, httpPort: port, publicHost }),
    portal: httpsServer,
    cas: httpsServer,
    log: z.strictObject({ host, sshPort: port, tlsPort: port, publicHost }),
    status: z.strictObject({
      host,
      port,
      sshPort: port,
      publicHost,
      heartbeatTimeoutSeconds: z.number().int().min(10).max(86_400),
    }),
    metrics: z.strictObject({ host, port }),
  }),
  cas: z.strictObject({
    /** Extra services allowed to use single sign-on (exact URLs), such as a test client. */
    services: z.array(serviceUrl),
    /** Proxy callback URLs allowed to receive proxy-granting tickets (HTTPS only). */
    proxyCallbacks: z.array(serviceUrl),
    serviceTicketSeconds: z.number().int().min(5).max(300),
    sessionIdleMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60),
    sessionHardHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 7),
    people: throttlePolicy,
    addresses: throttlePolicy,
    appliances: throttlePolicy,
  }),
  /** What one appliance push may bring and how many pushes one address may run at once. */
  pushes: z.strictObject({
    maxFiles: z.number().int().min(1).max(10_000_000),
    maxFileBytes: z.number().int().min(1),
    maxPushBytes: z.number().int().min(1),
    connectionsPerSource: z.number().int().min(1).max(100_000),
    authenticationSeconds: z.number().int().min(1).max(600),
    /** A temporary file of a push older than this is reported as a stuck transfer. */
    stuckTransferHours: z.number().int().min(1).max(8_760),
    /** Interrupted pushes' files (incoming/, partial/) older than this are deleted. */
    interruptedFilesDays: retentionDays,
  }),
  /** How received files are read into detections and other events. */
  ingest: z.strictObject({
    maxLineBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024),
    batchLines: z.number().int().min(1).max(100_000),
    settleSeconds: z.number().int().min(0).max(86_400),
    incidentWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60),
    pollMilliseconds: z.number().int().min(10).max(60_000),
  }),
  /** How long stored data is kept; ingest/retention.ts says from which time each kind counts. */
  retention: z.strictObject({
    detectionsDays: retentionDays,
    otherEventsDays: retentionDays,
    quarantineDays: retentionDays,
    rawFilesDays: retentionDays,
    summariesDays: retentionDays,
    incidentsDays: retentionDays,
  }),
  /** Custom patterns for Threat Mitigators. */
  patterns: z.strictObject({
    /** A deployment whose version no heartbeat reports within this is failed and retried. */
    confirmSeconds: z
      .number()
      .int()
      .min(10)
      .max(7 * 86_400),
    /** The largest pattern file an upload may bring. */
    maxBytes: z
      .number()
      .int()
      .min(1)
      .max(1024 ** 3),
  }),
  /** Forensic data packages Threat Mitigators upload to the status server. */
  forensics: z.strictObject({
    /** The largest package: a larger one is refused before its body is read (C48). */
    maxBytes: z.number().int().min(1),
    /** An upload that took no byte for this long is ended and its partial file removed. */
    abandonedUploadDays: retentionDays,
  }),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    format: z.enum(['auto', 'json', 'pretty']),
  }),
});

export type Config = z.infer<typeof configSchema>;
export type ServerName = 'admin' | 'portal' | 'log' | 'status' | 'cas';
export const SERVER_NAMES: readonly ServerName[] = ['admin', 'portal', 'log', 'status', 'cas'];
