// blindspot tenant add <dir> --name <n> --tenant <id|domain> [--cloud …] --client-id <id> --auth device|browser|certificate|secret
//                    [--cert <pem|pfx>] [--authority-host <url> --ca <pem>] [--graph-version beta|v1.0]
// blindspot tenant list <dir> [--json]
import { openCase, openCaseReadOnly } from '../../services/caseFolder.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { addTenant } from '../../services/tenantSession.ts';
import { listTenantProfiles } from '../../db/ledger.ts';
import type { AuthMode } from '../../db/ledger.ts';
import { optionalString, parse, positional, requireString } from '../args.ts';

export async function tenantCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'list') {
    const { values, positionals } = parse('tenant list', rest, { json: { type: 'boolean' } });
    const c = openCaseReadOnly(positional('tenant list', positionals, 0, 'the case folder'));
    try {
      const rows = listTenantProfiles(c.db);
      if (values.json) process.stdout.write(JSON.stringify({ tenants: rows }) + '\n');
      else for (const t of rows) process.stdout.write(`${t.name}: ${t.tenant} (${t.cloud}), client ${t.clientId}, sign-in ${t.authMode}${t.endpoints ? `, endpoints ${t.endpoints.authorityHost}` : ''}\n`);
    } finally {
      c.close();
    }
    return EXIT.ok;
  }
  if (sub !== 'add') throw new UsageError(`tenant: unknown subcommand '${sub ?? ''}'.`, 'Use: blindspot tenant add <dir> … | blindspot tenant list <dir>');
  const { values, positionals } = parse('tenant add', rest, {
    name: { type: 'string' }, tenant: { type: 'string' }, cloud: { type: 'string' }, 'client-id': { type: 'string' }, auth: { type: 'string' },
    cert: { type: 'string' }, 'authority-host': { type: 'string' }, ca: { type: 'string' }, 'graph-version': { type: 'string' }, json: { type: 'boolean' },
    replace: { type: 'boolean' },
  });
  const dir = positional('tenant add', positionals, 0, 'the case folder');
  const gv = optionalString(values['graph-version']);
  if (gv !== undefined && gv !== 'beta' && gv !== 'v1.0') throw new UsageError('tenant add: --graph-version must be beta or v1.0.');
  const h = openCase(dir);
  try {
    const p = addTenant(h, {
      name: requireString('tenant add', values.name, '--name'), tenant: requireString('tenant add', values.tenant, '--tenant'),
      clientId: requireString('tenant add', values['client-id'], '--client-id'), auth: requireString('tenant add', values.auth, '--auth') as AuthMode,
      ...(values.cloud ? { cloud: String(values.cloud) } : {}), ...(values.cert ? { certPath: String(values.cert) } : {}),
      ...(values['authority-host'] ? { authorityHost: String(values['authority-host']) } : {}), ...(values.ca ? { caPath: String(values.ca) } : {}),
      ...(gv ? { graphVersion: gv } : {}), replace: values.replace === true,
    });
    if (values.json) process.stdout.write(JSON.stringify({ tenant: p }) + '\n');
    else process.stdout.write(`tenant ${p.name} ${values.replace ? 'set' : 'added'}: ${p.tenant} (${p.cloud}), sign-in ${p.authMode}. No secret or token is stored in the case.\n`);
  } finally {
    h.close();
  }
  return EXIT.ok;
}
