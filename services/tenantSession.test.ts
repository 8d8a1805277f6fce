import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getTenantProfile } from '../db/ledger.ts';
import { createClientCertificate } from '../sim/server/tls.ts';
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

  it('refuses a certificate or CA file that sign-in could not use, when the profile is added', async () => {
    const h = createCase(join(tmp(), 'case'), { name: 't', examiner: 'e' });
    const notPem = join(tmp(), 'records.jsonl');
    writeFileSync(notPem, '{"Id":"x"}\n');
    const cert = { name: 'c', tenant: 'contoso.com', clientId: CLIENT, auth: 'certificate' as const };
    try {
      expect(() => addTenant(h, { ...cert, certPath: join(tmp(), 'none.pem') })).toThrow(/--cert .*none\.pem: no such file/);
      expect(() => addTenant(h, { ...cert, certPath: notPem })).toThrow(/records\.jsonl: expected a PEM file with both the certificate and its private key, or a PFX/);
      const certOnly = join(tmp(), 'cert-only.pem');
      writeFileSync(certOnly, (await createClientCertificate('CN=test')).certificatePem);
      expect(() => addTenant(h, { ...cert, certPath: certOnly })).toThrow(/cert-only\.pem: expected a PEM file with both the certificate and its private key/);
      const der = join(tmp(), 'app.bin');
      writeFileSync(der, Buffer.from([0x30, 0x82, 0x01, 0x00]));
      expect(addTenant(h, { ...cert, name: 'der', certPath: der }).certPath).toBe(der); // PKCS#12 by its content, whatever its name
      expect(() => addTenant(h, { name: 's', tenant: 'contoso.com', clientId: CLIENT, auth: 'secret', authorityHost: 'https://127.0.0.1:4443', caPath: notPem }))
        .toThrow(/--ca .*records\.jsonl holds no PEM certificate/);
      expect(getTenantProfile(h.db, 'c')).toBeNull();
      expect(h.custodyEntries().filter((e) => e.action.startsWith('tenant-')).map((e) => e.details['name'])).toEqual(['der']);
    } finally {
      h.close();
    }
  });
});
