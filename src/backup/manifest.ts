import path from 'node:path';

import { z } from 'zod';

import type { DataPaths } from '../config/paths.js';

export const BACKUP_FORMAT = 'tmsp-backup';
export const BACKUP_VERSION = 1;

export const manifestSchema = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(BACKUP_VERSION),
  createdAt: z.string(),
  engine: z.string(),
  migrations: z.array(z.string()),
  tables: z.record(z.string(), z.number().int().min(0)),
  keys: z.array(z.string()),
  files: z.number().int().min(0),
});

export type BackupManifest = z.infer<typeof manifestSchema>;

/** The key files a backup carries, by their name inside the archive. */
export function keyFiles(paths: DataPaths): Record<string, string> {
  return {
    'ca.pem': paths.caCertificate,
    'ca-key.pem': paths.caKey,
    'server.pem': paths.serverCertificate,
    'server-key.pem': paths.serverKey,
    ssh_host_ed25519_key: paths.sshHostKey,
    'secrets.key': paths.secretsKey,
    'service.key': paths.serviceKey,
  };
}

export const PUBLIC_KEY_FILES = new Set(['ca.pem', 'server.pem']);

export function tableFile(directory: string, table: string): string {
  return path.join(directory, 'database', `${table}.jsonl`);
}
