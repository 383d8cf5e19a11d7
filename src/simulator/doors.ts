import { readFile } from 'node:fs/promises';

import { AppError } from '../shared/errors.js';
import type { ServerDoors } from './fleet-types.js';

/** The part of endpoints.json an appliance needs; the rest is for people and scripts. */
interface EndpointsFile {
  cas: { url: string };
  log: { ssh: string; tls: string };
  status: { url: string; casService: string };
  caCertificate: string;
}

/** Reads where the servers are from the endpoints.json `tmsp up` writes once it listens. */
export async function readDoors(endpointsFile: string): Promise<ServerDoors> {
  let text: string;
  try {
    text = await readFile(endpointsFile, 'utf8');
  } catch {
    const hint = 'is TMSP running with this data directory?';
    throw new AppError('unavailable', `cannot read ${endpointsFile}: ${hint}`);
  }
  const endpoints = JSON.parse(text) as EndpointsFile;
  return {
    casUrl: endpoints.cas.url,
    statusUrl: endpoints.status.url,
    statusService: endpoints.status.casService,
    logSsh: endpoints.log.ssh,
    logTls: endpoints.log.tls,
    caFile: endpoints.caCertificate,
    caPem: await readFile(endpoints.caCertificate, 'utf8'),
  };
}
