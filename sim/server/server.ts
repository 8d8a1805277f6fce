// The emulator's HTTPS server: one port on 127.0.0.1, paths distinguish the hosts.
//   /{tenant}/...                 identity (login.microsoftonline.com)
//   /graph/{v1.0|beta}/...        Microsoft Graph
//   /adminapi/beta/{tenant}/...   Exchange Online admin API (outlook.office365.com)
//   /api/{v1.0|v1}/{tenant}/...   Office 365 Management Activity API (manage.office.com)
//   /sim/...                      the emulator's own sign-in pages (device login, authorize form)
// Faults (scripted or random) are applied here, before a request reaches an API, so none advances state.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_TOKEN_LIFETIME_S, EXO_TRANSIENT_EXCEPTIONS, EXO_TRANSIENT_STATUS } from './assumptions.ts';
import { createSigningKey, registerClients, type RegisteredClient, type SimContext, type SimServerOptions } from './context.ts';
import { exoErrorBody, createExchange } from './exchange.ts';
import { createFaultController, omitsRetryAfter, type ApiFamily, type FaultController, type FaultRule, type GenericFaultKind } from './faults.ts';
import { createGraph, type GraphControl } from './graph.ts';
import { sendJson } from './http.ts';
import { createIdentity, type IdentityControl } from './identity.ts';
import { createManagement, manageErrorBody } from './management.ts';
import { createClientCertificate, createServerPki } from './tls.ts';

export interface SimServer {
  origin: string;
  port: number;
  caCertPem: string;
  ctx: SimContext;
  clients: RegisteredClient[];
  faults: FaultController;
  identity: IdentityControl;
  graph: GraphControl;
  setTokenLifetime(seconds: number): void;
  close(): Promise<void>;
}

const DAY = 86_400_000;

export function apiFamily(pathname: string): ApiFamily {
  if (pathname.startsWith('/graph/')) return 'graph';
  if (pathname.startsWith('/adminapi/')) return 'exchange';
  if (pathname.startsWith('/api/v1.0/') || pathname.startsWith('/api/v1/')) return 'manage';
  if (pathname.startsWith('/sim/')) return 'sim';
  return 'identity';
}

export async function createSimServer(opts: SimServerOptions & { port?: number }): Promise<SimServer> {
  const scenario = opts.scenario;
  const seed = opts.seed ?? scenario.options.seed;
  const [pki, cert] = await Promise.all([createServerPki(), createClientCertificate('blindspot-sim-certificate-client')]);
  const signing = createSigningKey();
  const clients = registerClients(seed, cert);
  const startedAt = Date.now();
  const faults = createFaultController(opts.faults ?? 'none', opts.faultSeed ?? seed);
  const ctx: SimContext = {
    scenario,
    opts,
    origin: '',
    tenantId: scenario.tenant.tenantId,
    domain: scenario.tenant.domain,
    clients: new Map(clients.map((c) => [c.clientId, c])),
    signingKey: signing.privateKey,
    signingPublicKey: signing.publicKey,
    kid: signing.kid,
    tokenLifetimeS: opts.tokenLifetimeSeconds ?? (opts.faults === 'hostile' ? 600 : DEFAULT_TOKEN_LIFETIME_S),
    clock: () => scenario.range.end.getTime() + (Date.now() - startedAt),
    faults,
    demoUser: () => scenario.tenant.users.find((u) => u.kind === 'admin') ?? scenario.tenant.users[0]!,
    ualHorizonMs: () => scenario.range.end.getTime() - scenario.tenant.ualRetentionDays * DAY,
  };
  const identity = createIdentity(ctx);
  const graph = createGraph(ctx);
  const exchange = createExchange(ctx);
  const manage = createManagement(ctx);

  function faultBody(api: ApiFamily, status: number, req: IncomingMessage): unknown {
    const msg = status === 429 ? 'Too many requests. Retry after the time given in Retry-After.' : 'The service is temporarily unavailable. Retry the request.';
    switch (api) {
      case 'graph': return graph.errorBody(status === 429 ? 'TooManyRequests' : 'ServiceUnavailable', msg, req);
      case 'exchange': return exoErrorBody(status, status === 429 ? 'Microsoft.Exchange.Admin.OData.Core.ThrottlingException' : 'Microsoft.Exchange.Data.Storage.StorageTransientException', msg);
      case 'manage': return manageErrorBody(status === 429 ? 'AF429' : 'AF50000', status === 429 ? 'Too many requests. Method=GET, PublisherId=00000000-0000-0000-0000-000000000000' : 'An internal server error occurred. Retry the request.');
      default: return { error: 'temporarily_unavailable', error_description: `AADSTS50196: ${msg}`, error_codes: [50196] };
    }
  }

  function applyFault(api: ApiFamily, f: FaultRule & { kind: GenericFaultKind }, req: IncomingMessage, res: ServerResponse): void {
    const retry = f.retryAfter ?? 1;
    switch (f.kind) {
      case '429':
      case '503': {
        const status = Number(f.kind);
        const headers: Record<string, string> = {};
        if ((status === 429 && !omitsRetryAfter(f, api)) || (status === 503 && f.retryAfter !== undefined)) headers['Retry-After'] = api === 'exchange' ? retry.toFixed(1) : String(Math.max(1, Math.ceil(retry)));
        sendJson(res, status, faultBody(api, status, req), headers);
        return;
      }
      case 'exoTransient': {
        if (api !== 'exchange') throw new Error('an exoTransient fault reached a non-Exchange API (takeGeneric sends it as a 503)');
        const status = f.status ?? EXO_TRANSIENT_STATUS;
        const name = f.exception ?? 'DCOverloadedException';
        const type = EXO_TRANSIENT_EXCEPTIONS[name] ?? name;
        sendJson(res, status, exoErrorBody(status, type, `The operation couldn't be performed because the directory is busy (${name}). Retry the request.`), { 'x-ExceptionType': type.split('.').pop() ?? type });
        return;
      }
      case '403nul': {
        const body = Buffer.alloc(32, 0);
        res.writeHead(403, { 'Content-Type': 'application/json', 'Content-Length': String(body.length) });
        res.end(body);
        return;
      }
      case 'truncate': {
        // A complete HTTP response whose JSON stops in the middle: detectable only by parsing it.
        const body = '{"@odata.context":"truncated","value":[{"Id":"';
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
        res.end(body);
        return;
      }
      case 'reset': {
        // Headers promise more than is sent, then the connection is destroyed mid-body.
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': '1048576' });
        res.write('{"value":[{"Id":"', () => { req.socket.destroy(); });
        return;
      }
      default:
        return;
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A tenant's Date header agrees with its own clock; Node would write the workstation's time instead.
    res.setHeader('Date', new Date(ctx.clock()).toUTCString());
    const url = new URL(req.url ?? '/', ctx.origin);
    const api = apiFamily(url.pathname);
    const fault = faults.takeGeneric(req.method ?? 'GET', url.pathname + url.search, api);
    if (fault) {
      if (fault.kind === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs ?? 1500));
      else { applyFault(api, fault, req, res); return; }
    }
    switch (api) {
      case 'graph': return graph.handle(req, res, url);
      case 'exchange': return exchange.handle(req, res, url);
      case 'manage': return manage.handle(req, res, url);
      default:
        if (await identity.handle(req, res, url)) return;
        sendJson(res, 404, { error: 'not_found', error_description: `No emulated endpoint at ${req.method ?? ''} ${url.pathname}.` });
    }
  }

  const server: Server = createServer({ cert: pki.serverCertPem, key: pki.serverKeyPem }, (req, res) => {
    route(req, res).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'InternalServerError', message: `Emulator error: ${message}` } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  ctx.origin = `https://127.0.0.1:${port}`;

  return {
    origin: ctx.origin,
    port,
    caCertPem: pki.caCertPem,
    ctx,
    clients,
    faults,
    identity: identity.control,
    graph: graph.control,
    setTokenLifetime(seconds: number) {
      if (!Number.isFinite(seconds) || seconds < 1) throw new Error(`token lifetime must be at least 1 second, got ${seconds}`);
      ctx.tokenLifetimeS = Math.floor(seconds);
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
