// Certificates for the emulator, generated fresh at every start with @peculiar/x509 over node's webcrypto:
// a CA (written out so clients can trust it explicitly), a server certificate for 127.0.0.1 / localhost
// signed by that CA, and self-signed client certificates for the certificate-credential app registrations.
import 'reflect-metadata'; // @peculiar/x509 depends on tsyringe, which needs the Reflect metadata polyfill
import { webcrypto, createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's webcrypto is a standard Crypto; the cast bridges @types/node and the DOM types x509 declares.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
type Key = KeyPair['privateKey'];

const RSA: webcrypto.RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

export interface ServerPki {
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

export interface ClientCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** Hex SHA-1 of the DER certificate (MSAL `thumbprint`). */
  thumbprintSha1: string;
  /** Hex SHA-256 of the DER certificate (MSAL `thumbprintSha256`). */
  thumbprintSha256: string;
  /** base64url thumbprints as they appear in JOSE headers `x5t` / `x5t#S256`. */
  x5t: string;
  x5tS256: string;
  der: Buffer;
}

async function privateKeyPem(key: Key): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 30 * 86_400_000) };
}

export async function createServerPki(): Promise<ServerPki> {
  const caKeys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as unknown as KeyPair;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=Blindspot Simulated Tenant CA',
    keys: caKeys,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const serverKeys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as unknown as KeyPair;
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: 'CN=localhost',
    issuer: ca.subject,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caCertPem: ca.toString('pem'),
    serverCertPem: server.toString('pem'),
    serverKeyPem: await privateKeyPem(serverKeys.privateKey),
  };
}

/** A self-signed certificate + key for an app registration's certificate credential. */
export async function createClientCertificate(subject: string): Promise<ClientCertificate> {
  const keys = (await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify'])) as unknown as KeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${subject}`,
    keys,
    ...validity(),
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const der = Buffer.from(cert.rawData);
  const sha1 = createHash('sha1').update(der).digest();
  const sha256 = createHash('sha256').update(der).digest();
  return {
    certificatePem: cert.toString('pem'),
    privateKeyPem: await privateKeyPem(keys.privateKey),
    thumbprintSha1: sha1.toString('hex').toUpperCase(),
    thumbprintSha256: sha256.toString('hex').toUpperCase(),
    x5t: sha1.toString('base64url'),
    x5tS256: sha256.toString('base64url'),
    der,
  };
}

function randomSerial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(12));
  b[0] = (b[0] ?? 0) & 0x7f; // positive
  return Buffer.from(b).toString('hex');
}
