import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTmp } from '../test/helpers/tmp.ts';
import { createCase } from './caseFolder.ts';
import { importFile } from './import.ts';
import { retentionFacts } from './posture.ts';

const tmp = useTmp('bs-posture-');
const HEADER = 'UserPrincipalName,SkuPartNumber,ServicePlans,AssignedByGroup,State,Error';
const E5 = (upn: string) => `${upn},SPE_E5,"M365_ADVANCED_AUDITING:Success;EXCHANGE_S_ENTERPRISE:Success",,Active,`;
const E3 = (upn: string) => `${upn},SPE_E3,"EXCHANGE_S_ENTERPRISE:Success",,Active,`;

/** Preflight's licence count over licence exports taken at the times given. */
async function licences(snapshots: { asOf: string; rows: string[] }[]) {
  const h = createCase(join(tmp(), 'case'), { name: 'n', examiner: 'e' });
  try {
    for (const [k, s] of snapshots.entries()) {
      const file = join(tmp(), `licences-${k}.csv`);
      writeFileSync(file, [HEADER, ...s.rows].join('\n') + '\n');
      await importFile(h, file, { asOf: s.asOf });
    }
    return retentionFacts(h.db).licences;
  } finally {
    h.close();
  }
}

describe('preflight retention facts', () => {
  it('counts Premium retention only for accounts that show it in every licence snapshot of the case', async () => {
    expect(await licences([
      { asOf: '2026-05-01T00:00:00Z', rows: [E5('alex@contoso.com'), E3('bob@contoso.com')] },
      { asOf: '2026-06-01T00:00:00Z', rows: [E5('alex@contoso.com'), E3('bob@contoso.com')] },
    ])).toEqual({ premium: 1, standard: 1 });
    // Alex's licence changed between the snapshots; Carol is missing from the newer one (unlicensed since).
    expect(await licences([
      { asOf: '2026-05-01T00:00:00Z', rows: [E5('alex@contoso.com'), E5('carol@contoso.com'), E3('bob@contoso.com')] },
      { asOf: '2026-06-01T00:00:00Z', rows: [E3('alex@contoso.com'), E3('bob@contoso.com')] },
    ])).toEqual({ premium: 0, standard: 3 });
  });
});
