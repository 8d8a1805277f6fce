import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTenantProfile } from '../db/ledger.ts';
import { useTmp } from '../test/helpers/tmp.ts';
import { createCase } from './caseFolder.ts';
import { UsageError } from './errors.ts';
import { addTenant } from './tenantSession.ts';

const tmp = useTmp('bs-tenant-');
const CLIENT = '11111111-2222-3333-4444-555555555555';

describe('tenant add', () => {
  it('refuses a name already in use unless told to replace it, and logs what was replaced', () => {
    const h = createCase(join(tmp(), 'case'), { name: 't', examiner: 'e' });
    try {
      addTenant(h, { name: 'contoso', tenant: 'contoso.onmicrosoft.com', clientId: CLIENT, auth: 'device' });
      const again = { name: 'contoso', tenant: 'fabrikam.com', clientId: CLIENT, auth: 'browser' as const };
      expect(() => addTenant(h, again)).toThrow(UsageError);
      expect(() => addTenant(h, again)).toThrow('already has a tenant profile named contoso (contoso.onmicrosoft.com, sign-in device)');
      expect(getTenantProfile(h.db, 'contoso')).toMatchObject({ tenant: 'contoso.onmicrosoft.com', authMode: 'device' });
      expect(h.custodyEntries().filter((e) => e.action.startsWith('tenant-')).map((e) => e.action)).toEqual(['tenant-added']);
      addTenant(h, { ...again, replace: true });
      expect(getTenantProfile(h.db, 'contoso')).toMatchObject({ tenant: 'fabrikam.com', authMode: 'browser' });
      expect(h.custodyEntries().at(-1)).toMatchObject({ action: 'tenant-replaced', details: { tenant: 'fabrikam.com', previous: { tenant: 'contoso.onmicrosoft.com', authMode: 'device' } } });
    } finally {
      h.close();
    }
  });

  it('refuses a certificate or CA file that is missing or holds no certificate, when the profile is added', () => {
    const h = createCase(join(tmp(), 'case'), { name: 't', examiner: 'e' });
    const notPem = join(tmp(), 'records.jsonl');
    writeFileSync(notPem, '{"Id":"x"}\n');
    const cert = { name: 'c', tenant: 'contoso.com', clientId: CLIENT, auth: 'certificate' as const };
    try {
      expect(() => addTenant(h, { ...cert, certPath: join(tmp(), 'none.pem') })).toThrow(/--cert .*none\.pem: no such file/);
      expect(() => addTenant(h, { ...cert, certPath: notPem })).toThrow(/--cert .*records\.jsonl holds no PEM certificate or key/);
      expect(() => addTenant(h, { name: 's', tenant: 'contoso.com', clientId: CLIENT, auth: 'secret', authorityHost: 'https://127.0.0.1:4443', caPath: notPem }))
        .toThrow(/--ca .*records\.jsonl holds no PEM certificate/);
      expect(getTenantProfile(h.db, 'c')).toBeNull();
      expect(h.custodyEntries().some((e) => e.action.startsWith('tenant-'))).toBe(false);
    } finally {
      h.close();
    }
  });
});
