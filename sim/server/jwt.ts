// Compact JWS for the emulator's own tokens and for checking client assertions. Hand-written over
// node:crypto (a few lines) because no JOSE library is a direct dependency, and the checks we need are
// specific: RS256 and PS256 against a registered certificate, with x5t / x5t#S256 header binding.
import { createSign, createVerify, constants, type KeyObject } from 'node:crypto';

export type JwtHeader = Record<string, unknown> & { alg?: string; kid?: string; typ?: string };
export type JwtPayload = Record<string, unknown>;

export interface DecodedJwt {
  header: JwtHeader;
  payload: JwtPayload;
  signingInput: string;
  signature: Buffer;
}

const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

export function signRs256(payload: JwtPayload, key: KeyObject, kid: string): string {
  const input = `${b64json({ typ: 'JWT', alg: 'RS256', kid, x5t: kid })}.${b64json(payload)}`;
  const sig = createSign('RSA-SHA256').update(input).sign(key);
  return `${input}.${sig.toString('base64url')}`;
}

/** An unsigned token (alg none, empty signature segment), as §1.6 allows for id_tokens. */
export function unsignedJwt(payload: JwtPayload): string {
  return `${b64json({ typ: 'JWT', alg: 'none' })}.${b64json(payload)}.`;
}

/** Splits and parses a JWT; returns null if it is not three base64url segments of JSON. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return null;
    return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return null;
  }
}

/** Verifies the signature of a decoded JWT for alg RS256 or PS256. Other algorithms are refused. */
export function verifySignature(jwt: DecodedJwt, key: KeyObject): boolean {
  const alg = jwt.header.alg;
  if (alg === 'RS256') {
    return createVerify('RSA-SHA256').update(jwt.signingInput).verify(key, jwt.signature);
  }
  if (alg === 'PS256') {
    return createVerify('RSA-SHA256')
      .update(jwt.signingInput)
      .verify({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, jwt.signature);
  }
  return false;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
