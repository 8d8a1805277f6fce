// `npm run demo`, the README's first command: the whole job on the demo tenant must finish complete and
// leave an intact bundle and a case that verifies.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../services/demo.ts';
import { verify } from '../services/bundle.ts';
import { openCaseReadOnly } from '../services/caseFolder.ts';
import { useTmp } from './helpers/tmp.ts';

const tmp = useTmp('bs-demo-');

describe('the demo', () => {
  it('acquires completely, finds the incident, and leaves an intact bundle and case', async () => {
    const lines: string[] = [];
    const r = await runDemo(tmp(), (l) => lines.push(l));
    expect(r).toMatchObject({ intact: true, complete: true });
    expect(existsSync(r.bundle)).toBe(true);
    expect((await verify(r.caseDir)).problems).toEqual([]);
    const c = openCaseReadOnly(r.caseDir);
    try {
      expect(c.db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(r.events);
      expect(r.events).toBeGreaterThan(1000);
      const actions = c.db.prepare("SELECT DISTINCT operation FROM events WHERE operation IN ('New-InboxRule', 'Set-MailboxAuditBypassAssociation')").pluck().all();
      expect(actions.sort()).toEqual(['New-InboxRule', 'Set-MailboxAuditBypassAssociation']);
    } finally {
      c.close();
    }
    expect(lines.join('\n')).toMatch(/\[critical\] Mailbox audit bypass on adm\.patti/);
    // The case report, in the case and in the bundle, states the bypass window.
    const reports = readdirSync(join(r.caseDir, 'reports'));
    expect(reports).toHaveLength(1);
    expect(readFileSync(join(r.caseDir, 'reports', reports[0]!), 'utf8')).toContain('Mailbox audit bypass on adm.patti@contoso.onmicrosoft.com');
    expect(lines.join('\n')).toContain(`7. Wrote the case report ${join(r.caseDir, 'reports', reports[0]!)}`);
    expect(lines.at(-2)).toBe(`Case folder: ${r.caseDir}`);
    expect(join(r.caseDir, '..')).toBe(join(r.bundle, '..'));
  });
});
