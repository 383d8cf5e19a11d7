import { Random, Skewed, weighted } from './random.js';

/** One detection as a DDI sensor would report it; ddi-line.ts writes it as a line or a row. */
export interface DetectionSpec {
  /** Epoch ms, whole seconds: DDI's `rt` has no fractions. */
  time: number;
  threat: string;
  threatType: string;
  /** The DDI rule that fired: CEF class id and name. */
  ruleId: number;
  ruleName: string;
  /** CEF header severity as DDI writes it: 2, 4, 6, 8 or 10. */
  severity: number;
  detectionType: 'Known Threat' | 'Potential Threat' | 'OCS';
  protocol: string;
  /** deviceDirection: 0 inbound, 1 outbound, 2 unknown. */
  direction: '0' | '1' | '2';
  host: Endpoint;
  peer: Endpoint;
  hostPort: number;
  peerPort: number;
  url: string | null;
  fileName: string | null;
  fileSha1: string | null;
  action: string;
}

export interface Endpoint {
  name: string;
  ip: string;
}

export const THREATS = 500;
export const HOSTS = 5_000;
const PEERS = 2_000;

const FAMILIES: ReadonlyArray<readonly [string, string, string]> = [
  ['TROJ_GEN', 'TROJAN', 'HTTP'],
  ['WORM_DOWNAD', 'WORM', 'SMB'],
  ['BKDR_ZEGOST', 'BACKDOOR', 'TCP'],
  ['HKTL_MIMIKATZ', 'Hacking tool', 'SMB'],
  ['TSPY_ZBOT', 'SPYWARE', 'HTTP'],
  ['RANSOM_LOCKY', 'RANSOMWARE', 'HTTP'],
  ['PUA_COINMINER', 'PUA', 'HTTPS'],
  ['EXPL_CVE20170144', 'EXPLOIT', 'SMB'],
  ['HTTP_SQL_INJECTION', 'EXPLOIT', 'HTTP'],
  ['DNS_TUNNELING', 'SUSPICIOUS', 'DNS'],
  ['Malware URL requested', 'MALWARE_URL', 'HTTP'],
  ['Phishing URL in email', 'PHISHING', 'SMTP'],
  ['Brute force RDP', 'SUSPICIOUS', 'RDP'],
  ['Kerberos ticket anomaly', 'SUSPICIOUS', 'KERBEROS'],
];
const SEVERITIES: ReadonlyArray<readonly [number, number]> = [
  [2, 30],
  [4, 25],
  [6, 25],
  [8, 15],
  [10, 5],
];
const DETECTION_TYPES: ReadonlyArray<readonly [DetectionSpec['detectionType'], number]> = [
  ['Known Threat', 75],
  ['Potential Threat', 20],
  ['OCS', 5],
];
const DIRECTIONS: ReadonlyArray<readonly [DetectionSpec['direction'], number]> = [
  ['0', 45],
  ['1', 45],
  ['2', 10],
];
const SERVICE_PORTS: Readonly<Record<string, number>> = {
  HTTP: 80,
  HTTPS: 443,
  SMB: 445,
  TCP: 4444,
  DNS: 53,
  SMTP: 25,
  RDP: 3389,
  KERBEROS: 88,
};
const PROTOCOLS = Object.keys(SERVICE_PORTS);

interface Threat {
  name: string;
  type: string;
  protocol: string;
  severity: number;
  ruleId: number;
}

/** The catalogue: threats, the customer's hosts and the outside peers they meet. */
class World {
  readonly threats: Threat[] = [];
  readonly hosts: Endpoint[] = [];
  readonly peers: Endpoint[] = [];

  constructor(random: Random) {
    for (let i = 0; i < THREATS; i += 1) {
      const [family, type, protocol] = FAMILIES[i % FAMILIES.length] ?? ['TROJ_GEN', 'TROJAN', ''];
      const letter = String.fromCharCode(65 + (i % 26));
      const variant = `${letter}${(i * 7919).toString(36).toUpperCase()}`;
      const severity = weighted(random, SEVERITIES);
      this.threats.push({ name: `${family}.${variant}`, type, protocol, severity, ruleId: 20 + i });
    }
    const departments = ['FIN', 'HR', 'ENG', 'OPS', 'SALES', 'SRV'];
    for (let i = 0; i < HOSTS; i += 1) {
      const name = `${departments[i % departments.length] ?? 'WS'}-${String(i).padStart(4, '0')}`;
      const ip = `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      this.hosts.push({ name: name.toLowerCase(), ip });
    }
    const nets = ['198.51.100', '203.0.113', '185.220.101', '45.33.32'];
    for (let i = 0; i < PEERS; i += 1) {
      const ip = `${nets[i % nets.length] ?? '192.0.2'}.${(i % 250) + 1}`;
      this.peers.push({ name: `node${i}.example-${i % 37}.net`, ip });
    }
  }
}

/** The share of detections that start a new threat × host pair; the rest repeat one. */
const NEW_PAIR_SHARE = 0.1;
/** Detections an active pair gets an hour: an infected host beacons every two minutes. */
const PAIR_DETECTIONS_PER_HOUR = 30;

/**
 * `count` detections spread evenly, in time order, over [start, start + spanMs). Nine in ten
 * repeat one of the threat × host pairs active at the time (an infected host beacons, a scan
 * hits one host again and again), as many pairs as keep each at about 30 detections an hour,
 * so that an incident holds about ten detections at any rate. New pairs are Zipf-skewed over
 * 500 threats and 5,000 hosts; the rest is drawn by fixed weights.
 */
export function* detectionSpecs(
  seed: number,
  start: number,
  spanMs: number,
  count: number,
): Generator<DetectionSpec> {
  const random = new Random(seed);
  const world = new World(random);
  const threats = new Skewed(random, THREATS, 1.1);
  const hosts = new Skewed(random, HOSTS, 0.9);
  const active: Array<{ threat: Threat; host: Endpoint }> = [];
  const perHour = (count / spanMs) * 3_600_000;
  const pairs = Math.min(1_000, Math.max(5, Math.round(perHour / PAIR_DETECTIONS_PER_HOUR)));
  const step = spanMs / count;
  for (let i = 0; i < count; i += 1) {
    const time = Math.floor((start + (i + random.next()) * step) / 1000) * 1000;
    let pair = active[random.below(pairs)];
    if (pair === undefined || random.next() < NEW_PAIR_SHARE) {
      pair = { threat: world.threats[threats.index()]!, host: world.hosts[hosts.index()]! };
      active[active.length < pairs ? active.length : i % pairs] = pair;
    }
    yield specOf(random, world, time, pair.threat, pair.host);
  }
}

function specOf(
  random: Random,
  world: World,
  time: number,
  threat: Threat,
  host: Endpoint,
): DetectionSpec {
  const protocol = random.next() < 0.8 ? threat.protocol : random.pick(PROTOCOLS);
  const web = protocol === 'HTTP' || protocol === 'HTTPS';
  const peer = random.pick(world.peers);
  const carriesFile = random.next() < 0.3;
  return {
    time,
    threat: threat.name,
    threatType: threat.type,
    ruleId: threat.ruleId,
    ruleName: `${threat.type.toLowerCase()} activity ${threat.ruleId}`,
    severity: threat.severity,
    detectionType: weighted(random, DETECTION_TYPES),
    protocol,
    direction: weighted(random, DIRECTIONS),
    host,
    peer,
    hostPort: 49_152 + random.below(16_000),
    peerPort: SERVICE_PORTS[protocol] ?? 8080,
    url: web
      ? `http://${peer.name}/d/${random.below(100_000).toString(36)}.php?id=${i36(random)}`
      : null,
    fileName: carriesFile ? `invoice_${random.below(10_000)}.exe` : null,
    fileSha1: carriesFile ? sha1Like(random) : null,
    action: random.next() < 0.85 ? 'not blocked' : 'blocked',
  };
}

function i36(random: Random): string {
  return random.below(2 ** 30).toString(36);
}

function sha1Like(random: Random): string {
  let hex = '';
  while (hex.length < 40) {
    const part = random.below(2 ** 24);
    hex += part.toString(16).padStart(6, '0');
  }
  return hex.slice(0, 40).toUpperCase();
}
