import { cefLine, trendTime, type CefEvent } from './cef-format.js';
import type { Random } from './random.js';

/** The device fields every TDA line carries. */
const TDA = { product: 'Threat Discovery Appliance', version: '2.6.1062' };

const THREATS: ReadonlyArray<{ name: string; type: string; severity: number }> = [
  { name: 'TROJ_GEN.R002C0PLH21', type: 'Malware', severity: 8 },
  { name: 'WORM_DOWNAD.AD', type: 'Malware', severity: 8 },
  { name: 'HTML_IFRAME.SMJ', type: 'Malicious URL', severity: 6 },
  { name: 'Possible_SMB_Brute_Force', type: 'Network attack', severity: 4 },
  { name: 'BKDR_ZACCESS.SMIA', type: 'Malware', severity: 10 },
  { name: 'Suspicious_DNS_Query', type: 'Suspicious behaviour', severity: 3 },
  { name: 'PE_SALITY.RL', type: 'Malware', severity: 8 },
  { name: 'Heartbleed_Probe', type: 'Exploit', severity: 6 },
];
const PROTOCOLS: ReadonlyArray<{ name: string; port: number }> = [
  { name: 'HTTP', port: 80 },
  { name: 'SMTP', port: 25 },
  { name: 'SMB', port: 445 },
  { name: 'DNS', port: 53 },
  { name: 'FTP', port: 21 },
  { name: 'HTTPS', port: 443 },
];
const APPS = ['BitTorrent', 'Skype', 'eMule', 'TeamViewer', 'Dropbox'];
const URL_CATEGORIES = ['Gambling', 'Malware Accomplice', 'Phishing', 'Adult', 'Spyware'];
const OUTSIDE = ['203.0.113.', '198.51.100.', '192.0.2.'];

/** Which kind of line a Threat Discovery Appliance writes next, weighted like a busy sensor. */
export function tdaLine(random: Random, now: Date, subnet: number): string {
  const roll = random.next();
  if (roll < 0.6) return cefLine(detection(random, now, subnet));
  if (roll < 0.75) return cefLine(applicationFilter(random, now, subnet));
  if (roll < 0.9) return cefLine(urlFiltering(random, now, subnet));
  if (roll < 0.97) return cefLine(ocs(random, now, subnet));
  return cefLine(monitoredNetwork(now, subnet));
}

function insideHost(random: Random, subnet: number): { ip: string; host: string } {
  const last = random.int(2, 60);
  return { ip: `10.${subnet}.0.${last}`, host: `ws-${subnet}-${last}` };
}

function outsideIp(random: Random): string {
  return `${random.pick(OUTSIDE)}${random.int(1, 254)}`;
}

function detection(random: Random, now: Date, subnet: number): CefEvent {
  const threat = random.pick(THREATS);
  const protocol = random.pick(PROTOCOLS);
  const inside = insideHost(random, subnet);
  const outside = outsideIp(random);
  const inbound = random.chance(0.5);
  const [src, dst] = inbound ? [outside, inside.ip] : [inside.ip, outside];
  return {
    ...TDA,
    classId: 'SECURITY_RISK_DETECTION',
    name: threat.name,
    severity: threat.severity,
    fields: [
      ['rt', trendTime(now)],
      ['src', src],
      ['dst', dst],
      [inbound ? 'dhost' : 'shost', inside.host],
      ['dpt', String(protocol.port)],
      ['proto', protocol.name],
      ['deviceDirection', inbound ? '0' : '1'],
      ['threatType', threat.type],
      ['act', random.chance(0.3) ? 'blocked' : 'not blocked'],
      ['detectionType', random.chance(0.8) ? 'Known threat' : 'Potential threat'],
    ],
  };
}

function applicationFilter(random: Random, now: Date, subnet: number): CefEvent {
  const inside = insideHost(random, subnet);
  return {
    ...TDA,
    classId: 'APPLICATION_FILTER',
    name: 'Disruptive application',
    severity: 2,
    fields: [
      ['rt', trendTime(now)],
      ['src', inside.ip],
      ['shost', inside.host],
      ['dst', outsideIp(random)],
      ['appName', random.pick(APPS)],
    ],
  };
}

function urlFiltering(random: Random, now: Date, subnet: number): CefEvent {
  const inside = insideHost(random, subnet);
  const domain = `site${random.int(1, 500)}.example`;
  return {
    ...TDA,
    classId: 'URL_FILTERING',
    name: 'URL filtering',
    severity: 3,
    fields: [
      ['rt', trendTime(now)],
      ['src', inside.ip],
      ['shost', inside.host],
      ['dst', outsideIp(random)],
      ['request', `http://${domain}/index.html`],
      ['cat', random.pick(URL_CATEGORIES)],
    ],
  };
}

/** Outbreak containment: the appliance saw an infected host spreading inside the network. */
function ocs(random: Random, now: Date, subnet: number): CefEvent {
  const from = insideHost(random, subnet);
  const to = insideHost(random, subnet);
  return {
    ...TDA,
    classId: 'OCS',
    name: 'WORM_DOWNAD.AD',
    severity: 10,
    fields: [
      ['rt', trendTime(now)],
      ['src', from.ip],
      ['shost', from.host],
      ['dst', to.ip],
      ['dpt', '445'],
      ['proto', 'SMB'],
      ['detectionType', 'OCS'],
    ],
  };
}

function monitoredNetwork(now: Date, subnet: number): CefEvent {
  return {
    ...TDA,
    classId: 'MONITORED_NETWORK',
    name: 'Monitored network changed',
    severity: 1,
    fields: [
      ['rt', trendTime(now)],
      ['msg', `monitoring 10.${subnet}.0.0/16`],
    ],
  };
}
