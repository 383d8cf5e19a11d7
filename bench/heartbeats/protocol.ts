/** What the benchmark and its server processes tell each other over the IPC channel. */
export type ServerMessage = { type: 'rss' } | { type: 'reset' } | { type: 'stop' };

export interface ServerReady {
  type: 'ready';
  /** The status server's (or the bare server's) base URL. */
  url: string;
  casUrl: string;
  casService: string;
  ca: string;
}

export interface RssReport {
  type: 'rss';
  peak: number;
  now: number;
}

/** The customer account whose appliances the benchmark simulates. */
export const BENCH_CUSTOMER = {
  name: 'bench',
  registrationUser: 'bench-fleet',
  registrationSecret: 'Bench-Secret-2026',
};
