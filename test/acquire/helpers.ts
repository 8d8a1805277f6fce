// Shared by the acquisition tests: a simulated tenant on loopback and the client pieces pointed at it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOUDS, singleOriginEndpoints } from '../../acquire/clouds.ts';
import type { Endpoints } from '../../acquire/clouds.ts';
import { HttpClient } from '../../acquire/http.ts';
import { policyFor } from '../../acquire/netPolicy.ts';
import type { SimClientInfo, SimHandle } from '../../sim/index.ts';

// Folders made here (cases, certificates) are removed when the test file ends.
const made: string[] = [];
afterAll(() => { for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true }); });

function mkTmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function endpointsFor(sim: SimHandle): Endpoints {
  return singleOriginEndpoints(sim.origin, CLOUDS.global);
}

export function httpFor(sim: SimHandle): HttpClient {
  const ep = endpointsFor(sim);
  return new HttpClient({ policy: policyFor(CLOUDS.global, ep), ca: sim.caCertPem });
}

export function client(sim: SimHandle, name: string): SimClientInfo {
  const c = sim.clients.find((x) => x.name === name);
  if (!c) throw new Error(`the simulated tenant has no client "${name}"`);
  return c;
}

/** Writes a client's certificate and key to a PEM file (outside any case) and returns its path. */
export function certFile(c: SimClientInfo): string {
  if (!c.certificatePem || !c.privateKeyPem) throw new Error(`client ${c.name} has no certificate`);
  const dir = mkTmp('bs-cert-');
  const p = join(dir, 'app.pem');
  writeFileSync(p, c.certificatePem + '\n' + c.privateKeyPem, { mode: 0o600 });
  return p;
}

export function tmpDir(prefix = 'bs-acq-'): string {
  return mkTmp(prefix);
}

/** The simulated tenant's acquisition options (no ingestion latency), for the tests that import their helpers here. */
export { NO_LATENCY } from '../../sim/index.ts';
