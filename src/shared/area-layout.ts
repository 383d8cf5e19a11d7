import path from 'node:path';

/**
 * Where an appliance's files live: `<areas>/<customer id>/<GUID>/logs/<name>`. The log server
 * writes there and ingestion reads there; both take the layout from here.
 */
export function applianceAreaRoot(areasDir: string, customerId: number, guid: string): string {
  return path.join(areasDir, String(customerId), guid);
}

export function receivedFilePath(
  areasDir: string,
  customerId: number,
  guid: string,
  name: string,
): string {
  return path.join(applianceAreaRoot(areasDir, customerId, guid), 'logs', name);
}
