import type { PatternBus } from '../patterns/pattern-bus.js';

/** What the appliance API's pattern routes need; assembled in system/servers. */
export interface PatternApiDeps {
  /** Where pattern contents are kept (patterns/pattern-files.ts). */
  dir: string;
  bus: PatternBus;
  /** The status server's own URL, from configuration (C26): download URLs start with it. */
  statusUrl: () => string;
  /** How often event streams read what other processes deployed. */
  pollMs: number;
  /** How often an idle event stream sends a comment, so that proxies keep it open. */
  keepAliveMs: number;
}

/** A few seconds: a deployment made in another process reaches a stream this soon. */
export const PATTERN_POLL_MS = 3_000;
export const KEEP_ALIVE_MS = 20_000;
