// The network allow-list: the one place that decides whether acquisition may contact a URL. Every request
// (API calls, followed nextLink / NextPageUri / contentUri links, and MSAL's own requests through our
// network client) is checked here before a socket is opened. Only https to the chosen cloud's Microsoft
// hosts, or to the explicitly configured simulated tenant / proxy origin, is allowed.
import type { Cloud, Endpoints } from './clouds.ts';
import { BlindspotError, EXIT } from '../services/errors.ts';

export class NetworkPolicyError extends BlindspotError {
  readonly url: string;
  constructor(url: string, why: string) {
    super(`refused to contact ${url}: ${why}. Blindspot only talks to the chosen cloud's Microsoft hosts (or the configured simulated tenant).`, {
      exitCode: EXIT.remote,
      hint: 'A server sent a link to another host; nothing was sent there. If this is a proxy you trust, configure it with --authority-host.',
    });
    this.name = 'NetworkPolicyError';
    this.url = url;
  }
}

export interface NetworkPolicy {
  /** Origins (https://host[:port]) that may be contacted. */
  readonly origins: ReadonlySet<string>;
  /** Throws NetworkPolicyError unless the URL may be contacted; returns the parsed URL. */
  check(url: string | URL): URL;
  allows(url: string | URL): boolean;
}

function originOf(u: string): string {
  return new URL(u).origin.toLowerCase();
}

export function createNetworkPolicy(origins: Iterable<string>): NetworkPolicy {
  const set = new Set<string>();
  for (const o of origins) {
    const u = new URL(o);
    if (u.protocol !== 'https:') throw new Error(`network policy: ${o} is not https`);
    set.add(u.origin.toLowerCase());
  }
  const verdict = (url: string | URL): { ok: true; u: URL } | { ok: false; why: string } => {
    let u: URL;
    try {
      u = typeof url === 'string' ? new URL(url) : url;
    } catch {
      return { ok: false, why: 'not an absolute URL' };
    }
    if (u.protocol !== 'https:') return { ok: false, why: `scheme ${u.protocol.replace(':', '')} is not allowed (https only)` };
    if (u.username || u.password) return { ok: false, why: 'URLs with credentials are not allowed' };
    if (!set.has(u.origin.toLowerCase())) return { ok: false, why: `host ${u.host} is not on the allow-list (${[...set].join(', ')})` };
    return { ok: true, u };
  };
  return {
    origins: set,
    check(url) {
      const v = verdict(url);
      if (!v.ok) throw new NetworkPolicyError(String(url), v.why);
      return v.u;
    },
    allows(url) {
      return verdict(url).ok;
    },
  };
}

/** The allow-list for a cloud, or for explicit endpoints (simulated tenant / proxy) when given. */
export function policyFor(cloud: Cloud, endpoints: Endpoints | null): NetworkPolicy {
  if (endpoints) {
    return createNetworkPolicy([endpoints.authorityHost, endpoints.graphBase, endpoints.exoBase, endpoints.manageBase].map(originOf));
  }
  return createNetworkPolicy([cloud.login, cloud.graph, cloud.exchange, cloud.manage].map((h) => `https://${h}`));
}
