import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';

// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as never);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const CA_LIFETIME_DAYS = 3650;
// Private CAs are exempt from the 398-day browser rule, but a shorter life limits a leaked key.
const SERVER_LIFETIME_DAYS = 825;

export interface PemPair {
  certificate: string;
  privateKey: string;
}

export async function createCertificateAuthority(now: Date): Promise<PemPair> {
  const keys = await generateKeys();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=TMSP certificate authority ${now.toISOString().slice(0, 10)}`,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + CA_LIFETIME_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate: certificate.toString('pem'),
    privateKey: exportPrivateKey(keys.privateKey),
  };
}

/** A server certificate for every configured name and address, signed by the CA. */
export async function createServerCertificate(
  ca: PemPair,
  names: string[],
  now: Date,
): Promise<PemPair> {
  const keys = await generateKeys();
  const caCertificate = new x509.X509Certificate(ca.certificate);
  const caKey = await importPrivateKey(ca.privateKey);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${names[0] ?? 'localhost'}`,
    issuer: caCertificate.subject,
    notBefore: new Date(now.getTime() - DAY_MS),
    notAfter: new Date(now.getTime() + SERVER_LIFETIME_DAYS * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension(names.map(subjectAlternativeName)),
      await x509.AuthorityKeyIdentifierExtension.create(caCertificate),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certificate: certificate.toString('pem'),
    privateKey: exportPrivateKey(keys.privateKey),
  };
}

/** Whether a certificate names every one of these hosts and is valid for a while yet. */
export function certificateCovers(pem: string, names: string[], now: Date): boolean {
  const certificate = new x509.X509Certificate(pem);
  if (certificate.notAfter.getTime() - now.getTime() < 30 * DAY_MS) return false;
  const extension = certificate.getExtension(x509.SubjectAlternativeNameExtension);
  if (extension === null) return false;
  const covered = new Set(extension.names.items.map((item) => item.value.toLowerCase()));
  return names.every((name) => covered.has(name.toLowerCase()));
}

function subjectAlternativeName(name: string): x509.JsonGeneralName {
  return isIP(name) ? { type: 'ip', value: name } : { type: 'dns', value: name };
}

function serialNumber(): string {
  // A leading 01 keeps the DER integer positive.
  return `01${randomBytes(15).toString('hex')}`;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

function exportPrivateKey(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }) as string;
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}
