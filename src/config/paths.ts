import path from 'node:path';

import type { Config } from './schema.js';

/** Where each kept thing lives; the operator can move any of them out of the data directory. */
export interface DataPaths {
  dataDir: string;
  databaseFile: string;
  keysDir: string;
  caCertificate: string;
  caKey: string;
  serverCertificate: string;
  serverKey: string;
  /** The operator put their own certificate in place: it is used as it is, never re-issued. */
  operatorCertificate: boolean;
  sshHostKey: string;
  secretsKey: string;
  serviceKey: string;
  areasDir: string;
  endpointsFile: string;
}

export function dataPaths(config: Config): DataPaths {
  const dataDir = config.dataDir;
  const keysDir = path.join(dataDir, 'keys');
  return {
    dataDir,
    databaseFile: path.join(dataDir, 'tmsp.sqlite'),
    keysDir,
    caCertificate: config.tls.caFile ?? path.join(keysDir, 'ca.pem'),
    caKey: path.join(keysDir, 'ca-key.pem'),
    serverCertificate: config.tls.certificateFile ?? path.join(keysDir, 'server.pem'),
    serverKey: config.tls.keyFile ?? path.join(keysDir, 'server-key.pem'),
    operatorCertificate: config.tls.certificateFile !== null,
    sshHostKey: config.keys.sshHostKeyFile ?? path.join(keysDir, 'ssh_host_ed25519_key'),
    secretsKey: config.keys.secretsKeyFile ?? path.join(keysDir, 'secrets.key'),
    serviceKey: config.keys.serviceKeyFile ?? path.join(keysDir, 'service.key'),
    areasDir: config.storage.areasDir ?? path.join(dataDir, 'areas'),
    endpointsFile: path.join(dataDir, 'endpoints.json'),
  };
}
