// Programmatic entry to the simulated tenant: startSim() builds a scenario, starts the HTTPS emulator on
// 127.0.0.1, writes the CA certificate and the ground truth to a temp dir, and returns where everything is.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultMode, Scenario, ScenarioName, ScenarioOptions } from './scenario/types.ts';
import type { FaultController } from './server/faults.ts';
import type { GraphControl } from './server/graph.ts';
import type { IdentityControl } from './server/identity.ts';
import { createSimServer } from './server/server.ts';
import { createScenario } from './scenario/index.ts';
import { writeScenarioExport } from './export.ts';
import type { SimServerOptions } from './server/context.ts';

interface SimStartBase {
  port?: number;
  scenario?: ScenarioName;
  seed?: number;
  mailboxes?: number;
  days?: number;
  eventsPerDay?: number;
  now?: Date;
  faults?: FaultMode;
  exportDir?: string;
  /** Auto-approve device codes and sign-ins (as the first admin user). */
  demo?: boolean;
  /** Serve this scenario instead of generating one (tests use the fixture in sim/server/testScenario.ts). */
  scenarioInstance?: Scenario;
}

/** The emulator's tuning knobs, passed through to the server unchanged (documented in sim/server/context.ts). */
type Tuning = Pick<SimServerOptions, 'tokenLifetimeSeconds' | 'deviceCodeInterval' | 'deviceCodeExpiresIn' | 'graphRecordCountLimit'
  | 'graphMaxConcurrentQueries' | 'graphMaxSubmissionsPerDay' | 'graphPollsPerStep' | 'graphV1AuditAvailable' | 'manageListPageSize' | 'faultSeed'>;
export type SimStartOptions = SimStartBase & Tuning;

export interface SimClientInfo {
  name: string;
  clientId: string;
  clientSecret?: string;
  certificatePem?: string;
  privateKeyPem?: string;
  /** Hex SHA-256 / SHA-1 thumbprints of certificatePem (MSAL clientCertificate.thumbprintSha256 / thumbprint). */
  thumbprintSha256?: string;
  thumbprint?: string;
  kind: 'confidential' | 'public';
  /** Application roles (app-only) and delegated scopes per resource, and whether the SP holds a directory role. */
  appRoles: Record<string, string[]>;
  delegated: Record<string, string[]>;
  hasDirectoryRole: boolean;
  description: string;
}

/** The JSON line `blindspot sim` prints when ready. */
export interface SimInfo {
  authority: string;
  graphBase: string;
  exoBase: string;
  manageBase: string;
  tenantId: string;
  tenantDomain: string;
  clients: SimClientInfo[];
  caCertPath: string;
  groundTruthPath: string;
}

export interface SimHandle extends SimInfo {
  origin: string;
  port: number;
  caCertPem: string;
  scenario: Scenario;
  /** 'generator' when built by sim/scenario's createScenario, 'instance' when the caller supplied it. */
  scenarioSource: 'generator' | 'instance';
  faults: FaultController;
  identity: IdentityControl;
  graph: GraphControl;
  setTokenLifetime(seconds: number): void;
  close(): Promise<void>;
}

async function buildScenario(o: SimStartOptions): Promise<{ scenario: Scenario; source: SimHandle['scenarioSource'] }> {
  if (o.scenarioInstance) return { scenario: o.scenarioInstance, source: 'instance' };
  const so: ScenarioOptions = { scenario: o.scenario ?? 'bec', seed: o.seed ?? 1 };
  if (o.mailboxes !== undefined) so.mailboxes = o.mailboxes;
  if (o.days !== undefined) so.days = o.days;
  if (o.eventsPerDay !== undefined) so.eventsPerDay = o.eventsPerDay;
  if (o.now !== undefined) so.now = o.now;
  return { scenario: createScenario(so), source: 'generator' };
}

/**
 * Acquisition options for the simulated tenant: its log has no ingestion latency (every record is there at
 * once), so a slice up to its "now" is final, with no settle margin (services/acquisition.ts SETTLE_MS).
 */
export const NO_LATENCY = { settleMs: 0 } as const;

export async function startSim(options: SimStartOptions = {}): Promise<SimHandle> {
  const { scenario, source } = await buildScenario(options);
  const dir = await mkdtemp(join(tmpdir(), 'blindspot-sim-'));
  let server: Awaited<ReturnType<typeof createSimServer>> | null = null;
  try {
    const { port, faults, demo, scenario: _name, seed: _seed, mailboxes: _m, days: _d, eventsPerDay: _e, now: _now, exportDir: _x, scenarioInstance: _i, ...tuning } = options;
    const serverOpts: Parameters<typeof createSimServer>[0] = { ...tuning, scenario, port: port ?? 0, faults: faults ?? 'none', demo: demo ?? false };
    server = await createSimServer(serverOpts);
    const caCertPath = join(dir, 'ca.pem');
    const groundTruthPath = join(dir, 'ground-truth.json');
    await writeFile(caCertPath, server.caCertPem);
    await writeFile(groundTruthPath, JSON.stringify(scenario.groundTruth(), null, 2));
    if (options.exportDir) await writeScenarioExport(scenario, options.exportDir);
    const o = server.origin;
    const clients: SimClientInfo[] = server.clients.map((c) => {
      const info: SimClientInfo = { name: c.name, clientId: c.clientId, kind: c.kind, appRoles: { ...c.appRoles }, delegated: { ...c.delegated }, hasDirectoryRole: c.hasDirectoryRole, description: c.description };
      if (c.secret) info.clientSecret = c.secret;
      if (c.certificate) {
        info.certificatePem = c.certificate.certificatePem;
        info.privateKeyPem = c.certificate.privateKeyPem;
        info.thumbprintSha256 = c.certificate.thumbprintSha256;
        info.thumbprint = c.certificate.thumbprintSha1;
      }
      return info;
    });
    const s = server;
    return {
      authority: `${o}/${scenario.tenant.tenantId}`,
      graphBase: `${o}/graph`,
      exoBase: `${o}/adminapi/beta`,
      manageBase: `${o}/api/v1.0`,
      tenantId: scenario.tenant.tenantId,
      tenantDomain: scenario.tenant.domain,
      clients,
      caCertPath,
      groundTruthPath,
      origin: o,
      port: s.port,
      caCertPem: s.caCertPem,
      scenario,
      scenarioSource: source,
      faults: s.faults,
      identity: s.identity,
      graph: s.graph,
      setTokenLifetime: (n) => s.setTokenLifetime(n),
      close: async () => { await s.close(); await rm(dir, { recursive: true, force: true }); },
    };
  } catch (e) {
    if (server) await server.close();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The JSON-serialisable part of a handle (what the CLI prints). */
export function simInfo(h: SimHandle): SimInfo {
  const { authority, graphBase, exoBase, manageBase, tenantId, tenantDomain, clients, caCertPath, groundTruthPath } = h;
  return { authority, graphBase, exoBase, manageBase, tenantId, tenantDomain, clients, caCertPath, groundTruthPath };
}
