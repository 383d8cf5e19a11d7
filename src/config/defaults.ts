import type { Config } from './schema.js';

/**
 * Local all-in-one defaults: unprivileged loopback ports that do not collide, so a first run
 * works as an ordinary user. The production layout (admin 80 → HTTPS, portal 443, log 22 + 443,
 * status 443 + 22, CAS 443, each on its own address) is documented in the README.
 */
export const DEFAULT_CONFIG: Config = {
  dataDir: './data',
  database: { url: null },
  tls: { certificateFile: null, keyFile: null, caFile: null, names: [] },
  keys: { sshHostKeyFile: null, secretsKeyFile: null, serviceKeyFile: null },
  storage: { areasDir: null },
  servers: {
    admin: { host: '127.0.0.1', port: 7443, httpPort: 7080, publicHost: null },
    portal: { host: '127.0.0.1', port: 7444, publicHost: null },
    cas: { host: '127.0.0.1', port: 7446, publicHost: null },
    log: { host: '127.0.0.1', sshPort: 7022, tlsPort: 7445, publicHost: null },
    status: {
      host: '127.0.0.1',
      port: 7447,
      sshPort: 7023,
      publicHost: null,
      heartbeatTimeoutSeconds: 300,
    },
    metrics: { host: '127.0.0.1', port: 7090 },
  },
  cas: {
    services: [],
    proxyCallbacks: [],
    serviceTicketSeconds: 10,
    sessionIdleMinutes: 120,
    sessionHardHours: 8,
    // A person: five wrong passwords in 15 minutes lock the name for 15 minutes.
    people: { maxFailures: 5, windowSeconds: 900, lockSeconds: 900 },
    // One address trying many names is slowed, then refused for a while.
    addresses: { maxFailures: 30, windowSeconds: 300, lockSeconds: 300 },
    // Appliances share credentials and often one NAT address: a generous per-address limit only.
    appliances: { maxFailures: 300, windowSeconds: 60, lockSeconds: 60 },
  },
  pushes: {
    maxFiles: 100_000,
    maxFileBytes: 8 * 1024 ** 3,
    maxPushBytes: 64 * 1024 ** 3,
    // Appliances behind one NAT address share it; one appliance rarely needs more than two.
    connectionsPerSource: 64,
    authenticationSeconds: 30,
    // A push of one file takes minutes; hours without an end is a stuck appliance.
    stuckTransferHours: 6,
    // A resumed push finds its partial file only while it is kept.
    interruptedFilesDays: 7,
  },
  ingest: {
    // DDI CEF lines with long URLs and many custom fields reach a few KiB; 64 KiB is ample.
    maxLineBytes: 64 * 1024,
    batchLines: 5_000,
    // A final line without LF may be cut mid-write; the next push usually completes it.
    settleSeconds: 60,
    incidentWindowMinutes: 60,
    pollMilliseconds: 1_000,
  },
  retention: {
    detectionsDays: 365,
    otherEventsDays: 90,
    // Quarantined lines and raw files are for finding parser gaps and re-reading recent days.
    quarantineDays: 30,
    rawFilesDays: 30,
    // Summaries and incidents are what reports compare year over year.
    summariesDays: 730,
    incidentsDays: 730,
  },
  patterns: {
    // A Threat Mitigator loads a pattern within minutes and heartbeats every few.
    confirmSeconds: 1_800,
    maxBytes: 64 * 1024 ** 2,
  },
  forensics: {
    // A package holds a few samples and their traces, not whole disk images.
    maxBytes: 500 * 1024 ** 2,
    // An appliance resumes within hours; a week covers one that was down over a holiday.
    abandonedUploadDays: 7,
  },
  log: { level: 'info', format: 'auto' },
};

/** Keys holding file-system paths: resolved against the directory of the file that set them. */
export const PATH_KEYS = [
  'dataDir',
  'tls.certificateFile',
  'tls.keyFile',
  'tls.caFile',
  'keys.sshHostKeyFile',
  'keys.secretsKeyFile',
  'keys.serviceKeyFile',
  'storage.areasDir',
] as const;
