// Helpers for the emulator's tests: an HTTPS client that trusts the emulator's CA explicitly (undici
// Agent with connect.ca), and token acquisition by client credentials for a named registered client.
import { Agent, fetch, type Response } from 'undici';
import { startSim, type SimHandle, type SimStartOptions } from '../index.ts';
import { createTestScenario, type TestScenarioOptions } from './testScenario.ts';

export interface TestSim {
  sim: SimHandle;
  agent: Agent;
  /** fetch through the CA-trusting agent; relative URLs are resolved against the emulator origin. */
  get(url: string, init?: { headers?: Record<string, string> }): Promise<Response>;
  /** POST JSON (or a form with `form: true`); redirects are not followed, so tests see 302s. */
  post(url: string, body: unknown, init?: { headers?: Record<string, string>; form?: boolean }): Promise<Response>;
  token(client: string, resource: 'graph' | 'manage' | 'exchange'): Promise<string>;
  close(): Promise<void>;
}

const SCOPE = { graph: 'https://graph.microsoft.com/.default', manage: 'https://manage.office.com/.default', exchange: 'https://outlook.office365.com/.default' };

export async function startTestSim(opts: SimStartOptions & { fixture?: TestScenarioOptions } = {}): Promise<TestSim> {
  const { fixture, ...rest } = opts;
  const sim = await startSim({ scenarioInstance: rest.scenarioInstance ?? createTestScenario(fixture ?? {}), ...rest });
  const agent = new Agent({ connect: { ca: sim.caCertPem }, keepAliveTimeout: 1000 });
  const abs = (u: string): string => (u.startsWith('https://') ? u : `${sim.origin}${u}`);
  const get = (url: string, init: { headers?: Record<string, string> } = {}): Promise<Response> => fetch(abs(url), { dispatcher: agent, headers: init.headers ?? {} });
  const post = (url: string, body: unknown, init: { headers?: Record<string, string>; form?: boolean } = {}): Promise<Response> => fetch(abs(url), {
    method: 'POST',
    dispatcher: agent,
    redirect: 'manual',
    headers: { 'Content-Type': init.form ? 'application/x-www-form-urlencoded' : 'application/json', ...(init.headers ?? {}) },
    body: init.form ? new URLSearchParams(body as Record<string, string>).toString() : body === undefined ? undefined : JSON.stringify(body),
  });
  const tokens = new Map<string, string>();
  async function token(client: string, resource: 'graph' | 'manage' | 'exchange'): Promise<string> {
    const key = `${client}|${resource}`;
    const have = tokens.get(key);
    if (have) return have;
    const c = sim.clients.find((x) => x.name === client);
    if (!c || !c.clientSecret) throw new Error(`no secret client named ${client}`);
    const ask = () => post(`${sim.authority}/oauth2/v2.0/token`, { client_id: c.clientId, client_secret: c.clientSecret, scope: SCOPE[resource], grant_type: 'client_credentials' }, { form: true });
    let r = await ask();
    for (let i = 0; r.status === 429 && i < 5; i++) { await r.arrayBuffer(); r = await ask(); } // hostile faults throttle token requests (§1.7)
    const j = (await r.json()) as { access_token?: string };
    if (!j.access_token) throw new Error(`token request failed: ${r.status} ${JSON.stringify(j)}`);
    tokens.set(key, j.access_token);
    return j.access_token;
  }
  return { sim, agent, get, post, token, close: async () => { await agent.close(); await sim.close(); } };
}
