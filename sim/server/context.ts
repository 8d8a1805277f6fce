// The state shared by every part of one running emulator: scenario, clock, app registrations, signing key,
// options and the fault controller. Built once by createSimServer and passed to each API module.
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { Scenario, SimUser } from '../scenario/types.ts';
import type { ClientCertificate } from './tls.ts';
import type { FaultController } from './faults.ts';

export const RESOURCES = {
  graph: 'https://graph.microsoft.com',
  manage: 'https://manage.office.com',
  exchange: 'https://outlook.office365.com',
} as const;
export type ResourceKey = keyof typeof RESOURCES;

/** First-party application ids of the three resources (scopes may name them by id). */
export const RESOURCE_APP_IDS: Readonly<Record<string, ResourceKey>> = {
  '00000003-0000-0000-c000-000000000000': 'graph',
  'c5393580-f805-4401-95e8-94b7a6ef2fc2': 'manage',
  '00000002-0000-0ff1-ce00-000000000000': 'exchange',
};

export interface RegisteredClient {
  name: string;
  clientId: string;
  /** Object id of the service principal (the `oid` of app-only tokens). */
  servicePrincipalId: string;
  kind: 'confidential' | 'public';
  secret?: string;
  certificate?: ClientCertificate;
  /** Application permissions granted per resource (app-only `roles`). */
  appRoles: Partial<Record<ResourceKey, string[]>>;
  /** Delegated permissions consented per resource (`scp`). */
  delegated: Partial<Record<ResourceKey, string[]>>;
  /** Whether the service principal holds an Entra directory role (Exchange app-only needs one, §4.1). */
  hasDirectoryRole: boolean;
  description: string;
}

export interface SimServerOptions {
  scenario: Scenario;
  /** Auto-approve device codes and sign-ins as the first admin user. */
  demo?: boolean;
  faults?: 'none' | 'flaky' | 'hostile';
  /** Seed for the fault schedule; defaults to the scenario seed. */
  faultSeed?: number;
  tokenLifetimeSeconds?: number;
  deviceCodeExpiresIn?: number;
  deviceCodeInterval?: number;
  /** Graph audit query: per-query record cap (isRecordCountLimitExceeded beyond it). */
  graphRecordCountLimit?: number;
  graphMaxConcurrentQueries?: number;
  graphMaxSubmissionsPerDay?: number;
  /** GET polls per status step (notStarted -> running -> succeeded); 0 = succeeded at creation. */
  graphPollsPerStep?: number;
  /** false emulates a tenant where /v1.0/security/auditLog answers 404 (§2.1 live caveat). */
  graphV1AuditAvailable?: boolean;
  manageListPageSize?: number;
  /** Seeds the client ids and secrets; default random secrets. */
  seed?: number;
}

export interface SimContext {
  scenario: Scenario;
  opts: SimServerOptions;
  origin: string;
  tenantId: string;
  domain: string;
  clients: Map<string, RegisteredClient>;
  signingKey: KeyObject;
  signingPublicKey: KeyObject;
  kid: string;
  tokenLifetimeS: number;
  /** Simulated "now" in ms: the scenario's end plus the real time elapsed since start. */
  clock(): number;
  faults: FaultController;
  demoUser(): SimUser;
  /** Earliest CreationTime (ms) the unified audit log still returns (retention before range.end). */
  ualHorizonMs(): number;
}

export function deterministicGuid(...parts: (string | number)[]): string {
  const h = createHash('sha1').update(parts.join('|')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createSigningKey(): { privateKey: KeyObject; publicKey: KeyObject; kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const kid = createHash('sha1').update(der).digest('base64url');
  return { privateKey, publicKey, kid };
}

/** The app registrations of one run. Every client is in the tenant; permissions differ on purpose. */
export function registerClients(seed: number, cert: ClientCertificate): RegisteredClient[] {
  const id = (name: string): string => deterministicGuid('client', seed, name);
  const sp = (name: string): string => deterministicGuid('sp', seed, name);
  const secret = (): string => randomBytes(24).toString('base64url');
  const full = {
    graph: ['AuditLogsQuery.Read.All', 'User.Read.All', 'Directory.Read.All'],
    manage: ['ActivityFeed.Read', 'ActivityFeed.ReadDlp'],
    exchange: ['Exchange.ManageAsApp'],
  };
  return [
    { name: 'secret', clientId: id('secret'), servicePrincipalId: sp('secret'), kind: 'confidential', secret: secret(), appRoles: full, delegated: {}, hasDirectoryRole: true,
      description: 'Confidential client with a secret; all audit permissions and a directory role (Global Reader).' },
    { name: 'certificate', clientId: id('certificate'), servicePrincipalId: sp('certificate'), kind: 'confidential', certificate: cert, appRoles: full, delegated: {}, hasDirectoryRole: true,
      description: 'Confidential client with a certificate credential; same permissions as "secret".' },
    { name: 'public', clientId: id('public'), servicePrincipalId: sp('public'), kind: 'public', appRoles: {},
      delegated: { graph: ['AuditLogsQuery.Read.All', 'User.Read.All', 'Directory.Read.All', 'User.Read'], manage: ['ActivityFeed.Read'], exchange: ['Exchange.Manage'] },
      hasDirectoryRole: false, description: 'Public client (device code, auth code + PKCE, refresh tokens); delegated permissions; admin users hold Exchange roles.' },
    { name: 'graph-no-auditquery', clientId: id('graph-no-auditquery'), servicePrincipalId: sp('graph-no-auditquery'), kind: 'confidential', secret: secret(),
      appRoles: { graph: ['User.Read.All'], manage: ['ActivityFeed.Read'] }, delegated: {}, hasDirectoryRole: true,
      description: 'Graph without AuditLogsQuery.Read.All (403 on security/auditLog); directory reads work.' },
    { name: 'graph-exchange-auditquery', clientId: id('graph-exchange-auditquery'), servicePrincipalId: sp('graph-exchange-auditquery'), kind: 'confidential', secret: secret(),
      appRoles: { graph: ['AuditLogsQuery-Exchange.Read.All'] }, delegated: {}, hasDirectoryRole: true,
      description: 'Graph with only AuditLogsQuery-Exchange.Read.All: queries return Exchange records only.' },
    { name: 'exchange-no-role', clientId: id('exchange-no-role'), servicePrincipalId: sp('exchange-no-role'), kind: 'confidential', secret: secret(),
      appRoles: { exchange: ['Exchange.ManageAsApp'] }, delegated: {}, hasDirectoryRole: false,
      description: 'Exchange.ManageAsApp but no directory role: InvokeCommand answers 403.' },
    { name: 'no-permissions', clientId: id('no-permissions'), servicePrincipalId: sp('no-permissions'), kind: 'confidential', secret: secret(),
      appRoles: {}, delegated: {}, hasDirectoryRole: false,
      description: 'No permissions at all: tokens carry no roles (Exchange 401, Management AF10001, Graph 403).' },
  ];
}
