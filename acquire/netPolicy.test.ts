import { describe, expect, it } from 'vitest';
import { CLOUDS, cloudEndpoints } from './clouds.ts';
import { NetworkPolicyError, createNetworkPolicy, policyFor } from './netPolicy.ts';

describe('network allow-list', () => {
  it('allows only the chosen cloud\'s Microsoft hosts over https', () => {
    const p = policyFor(CLOUDS.global, null);
    expect(p.allows('https://graph.microsoft.com/beta/security/auditLog/queries')).toBe(true);
    expect(p.allows('https://login.microsoftonline.com/x/oauth2/v2.0/token')).toBe(true);
    expect(p.allows('https://manage.office.com/api/v1.0/t/activity/feed/audit/1')).toBe(true);
    expect(p.allows('https://outlook.office365.com/adminapi/beta/t/InvokeCommand')).toBe(true);
    expect(p.allows('http://graph.microsoft.com/beta')).toBe(false);
    expect(p.allows('https://graph.microsoft.us/beta')).toBe(false); // another cloud
    expect(p.allows('https://graph.microsoft.com.evil.example/beta')).toBe(false);
    expect(p.allows('https://user:pw@graph.microsoft.com/beta')).toBe(false);
    expect(p.allows('https://graph.microsoft.com:8443/beta')).toBe(false);
    expect(p.allows('/relative/path')).toBe(false);
  });
  it('a sovereign cloud does not reach the commercial hosts', () => {
    const p = policyFor(CLOUDS.gcchigh, null);
    expect(p.allows('https://graph.microsoft.us/beta')).toBe(true);
    expect(p.allows('https://graph.microsoft.com/beta')).toBe(false);
  });
  it('with explicit endpoints (simulated tenant) allows only that origin, not the real cloud', () => {
    const base = 'https://127.0.0.1:4443';
    const p = policyFor(CLOUDS.global, { authorityHost: base, graphBase: `${base}/graph`, exoBase: `${base}/adminapi/beta`, manageBase: `${base}/api/v1.0`, resources: cloudEndpoints(CLOUDS.global).resources });
    expect(p.allows(`${base}/graph/beta/x`)).toBe(true);
    expect(p.allows('https://127.0.0.1:4444/graph/beta/x')).toBe(false);
    expect(p.allows('https://graph.microsoft.com/beta')).toBe(false);
  });
  it('check() throws an error that names the refused URL and the remote exit code', () => {
    const p = createNetworkPolicy(['https://127.0.0.1:4443']);
    try {
      p.check('https://attacker.example/steal?token=1');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(NetworkPolicyError);
      expect((e as NetworkPolicyError).exitCode).toBe(5);
      expect((e as Error).message).toMatch(/attacker\.example/);
    }
    expect(() => createNetworkPolicy(['http://127.0.0.1:80'])).toThrow(/not https/);
  });
});
