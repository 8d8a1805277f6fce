// Bearer-token checks shared by the three APIs: signature (our JWKS key), expiry, audience, tenant.
// Each API turns a failure into its own error body.
import type { IncomingMessage } from 'node:http';
import type { RegisteredClient, ResourceKey, SimContext } from './context.ts';
import { RESOURCES } from './context.ts';
import { decodeJwt, verifySignature } from './jwt.ts';

export interface Caller {
  appOnly: boolean;
  client: RegisteredClient | undefined;
  clientId: string;
  tenantId: string;
  /** roles (app-only) or scp entries (delegated). */
  permissions: string[];
  upn: string | null;
  userKind: string | null;
}

export class AuthFailure extends Error {
  readonly status: 401 | 403;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.status = status;
  }
}

export function authenticate(ctx: SimContext, req: IncomingMessage, resource: ResourceKey): Caller {
  const h = req.headers.authorization;
  if (!h || !/^bearer /i.test(h)) throw new AuthFailure(401, 'Access token is empty.');
  const jwt = decodeJwt(h.slice(7).trim());
  if (!jwt) throw new AuthFailure(401, 'IDX14100: JWT is not well formed.');
  if (jwt.header.alg !== 'RS256' || jwt.header.kid !== ctx.kid || !verifySignature(jwt, ctx.signingPublicKey)) {
    throw new AuthFailure(401, 'Access token validation failure: the signature is invalid.');
  }
  const p = jwt.payload;
  const now = Math.floor(Date.now() / 1000);
  if (typeof p.exp !== 'number' || p.exp <= now) throw new AuthFailure(401, 'Lifetime validation failed, the token is expired.');
  if (typeof p.nbf === 'number' && p.nbf > now + 300) throw new AuthFailure(401, 'Lifetime validation failed, the token is not yet valid.');
  if (p.aud !== RESOURCES[resource]) throw new AuthFailure(401, `Invalid audience '${String(p.aud)}'; this API expects '${RESOURCES[resource]}'.`);
  if (p.tid !== ctx.tenantId || p.iss !== `https://sts.windows.net/${ctx.tenantId}/`) throw new AuthFailure(401, 'The token was issued for a different tenant.');
  const appOnly = p.idtyp === 'app' || p.scp === undefined;
  const clientId = String(p.appid ?? '');
  const permissions = appOnly
    ? (Array.isArray(p.roles) ? p.roles.map(String) : [])
    : String(p.scp ?? '').split(' ').filter(Boolean);
  const upn = typeof p.upn === 'string' ? p.upn : null;
  const user = upn ? ctx.scenario.tenant.users.find((u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase()) : undefined;
  return { appOnly, client: ctx.clients.get(clientId), clientId, tenantId: String(p.tid), permissions, upn, userKind: user?.kind ?? null };
}
