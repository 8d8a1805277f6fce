// The national clouds: one row per cloud with every host acquisition may contact. This table and the
// network policy built from it (netPolicy.ts) are the only places a Microsoft host name is written.
//
// Sources: m365-protocols.md §1.1 (login hosts), §3.1 (Management Activity API roots). The sovereign
// Exchange admin API hosts are UNVERIFIED there (§7.3); the Graph audit query is documented for the
// global cloud only (§2.6, [G1]).

export type CloudId = 'global' | 'gcc' | 'gcchigh' | 'dod' | 'china';

export interface Cloud {
  id: CloudId;
  title: string;
  /** Entra sign-in host (authority = https://<login>/<tenant>). */
  login: string;
  /** Microsoft Graph host. */
  graph: string;
  /** Exchange Online admin API host (adminapi/beta/<tenant>/InvokeCommand). */
  exchange: string;
  /** Office 365 Management Activity API host. */
  manage: string;
  /** Token resources (audience) for the three APIs; scopes are `<resource>/.default`. */
  resources: { graph: string; exchange: string; manage: string };
  /** Whether the Graph audit log query (security/auditLog/queries) exists in this cloud. */
  graphAuditQuery: boolean;
  /** Facts in this row that the protocol reference marks unverified. */
  unverified: string[];
}

export const CLOUDS: Readonly<Record<CloudId, Cloud>> = {
  global: {
    id: 'global', title: 'Global (commercial)',
    login: 'login.microsoftonline.com', graph: 'graph.microsoft.com', exchange: 'outlook.office365.com', manage: 'manage.office.com',
    resources: { graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com', manage: 'https://manage.office.com' },
    graphAuditQuery: true, unverified: [],
  },
  gcc: {
    id: 'gcc', title: 'US Government Community Cloud (GCC)',
    login: 'login.microsoftonline.com', graph: 'graph.microsoft.com', exchange: 'outlook.office365.com', manage: 'manage-gcc.office.com',
    resources: { graph: 'https://graph.microsoft.com', exchange: 'https://outlook.office365.com', manage: 'https://manage-gcc.office.com' },
    graphAuditQuery: false, unverified: ['Graph audit log query availability'],
  },
  gcchigh: {
    id: 'gcchigh', title: 'US Government GCC High',
    login: 'login.microsoftonline.us', graph: 'graph.microsoft.us', exchange: 'outlook.office365.us', manage: 'manage.office365.us',
    resources: { graph: 'https://graph.microsoft.us', exchange: 'https://outlook.office365.us', manage: 'https://manage.office365.us' },
    graphAuditQuery: false, unverified: ['Exchange admin API host', 'Graph audit log query availability'],
  },
  dod: {
    id: 'dod', title: 'US Government DoD',
    login: 'login.microsoftonline.us', graph: 'dod-graph.microsoft.us', exchange: 'webmail.apps.mil', manage: 'manage.protection.apps.mil',
    resources: { graph: 'https://dod-graph.microsoft.us', exchange: 'https://webmail.apps.mil', manage: 'https://manage.protection.apps.mil' },
    graphAuditQuery: false, unverified: ['Exchange admin API host', 'Graph audit log query availability'],
  },
  china: {
    id: 'china', title: 'China (operated by 21Vianet)',
    login: 'login.partner.microsoftonline.cn', graph: 'microsoftgraph.chinacloudapi.cn', exchange: 'partner.outlook.cn', manage: 'manage.office.cn',
    resources: { graph: 'https://microsoftgraph.chinacloudapi.cn', exchange: 'https://partner.outlook.cn', manage: 'https://manage.office.cn' },
    graphAuditQuery: false, unverified: ['Exchange admin API host', 'Management Activity API host', 'Graph audit log query availability'],
  },
};

export function isCloudId(s: string): s is CloudId {
  return Object.hasOwn(CLOUDS, s);
}

/**
 * The base URLs acquisition talks to. Normally derived from the cloud; a simulated tenant or a proxy
 * replaces all four (and then only its origin is allowed, see netPolicy.ts).
 */
export interface Endpoints {
  /** https://<login host> (no tenant, no trailing slash). */
  authorityHost: string;
  /** e.g. https://graph.microsoft.com (the version segment is added per call). */
  graphBase: string;
  /** e.g. https://outlook.office365.com/adminapi/beta */
  exoBase: string;
  /** e.g. https://manage.office.com/api/v1.0 */
  manageBase: string;
  /** Token audiences (the scope is `<resource>/.default`). */
  resources: { graph: string; exchange: string; manage: string };
}

export function cloudEndpoints(c: Cloud): Endpoints {
  return {
    authorityHost: `https://${c.login}`,
    graphBase: `https://${c.graph}`,
    exoBase: `https://${c.exchange}/adminapi/beta`,
    manageBase: `https://${c.manage}/api/v1.0`,
    resources: { ...c.resources },
  };
}

/**
 * Endpoints for a simulated tenant or a proxy that serves every API under one origin
 * (`/{tenant}` sign-in, `/graph`, `/adminapi/beta`, `/api/v1.0`: the layout of `blindspot sim`).
 * Token audiences stay the cloud's own resource URIs.
 */
export function singleOriginEndpoints(authorityHost: string, cloud: Cloud): Endpoints {
  const u = new URL(authorityHost);
  if (u.protocol !== 'https:') throw new RangeError(`${authorityHost}: the authority host must be https`);
  const o = u.origin;
  return { authorityHost: o, graphBase: `${o}/graph`, exoBase: `${o}/adminapi/beta`, manageBase: `${o}/api/v1.0`, resources: { ...cloud.resources } };
}
