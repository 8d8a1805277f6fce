// Findings for records received again under a record Id the case holds that say something else (another
// time, operation, user, mailbox or client IP; core/copies.ts). The unified audit log gives each record
// one Id: two records sharing it that differ are not both what Microsoft recorded. Pure.
import { differsText } from '../copies.ts';
import { evidencePlace } from '../text.ts';
import { psq } from './findings.ts';
import type { Finding } from './types.ts';

/** A copy that differs, with the record the case kept under its Id (db/timeline.ts listCopies). */
export interface DifferingCopy {
  recordId: string;
  kept: { time: string; operation: string | null; user: string | null; mailbox: string | null; clientIp: string | null; evidence: { sha256: string; line: number | null; element: number | null } };
  copy: { sha256: string; line: number | null; element: number | null };
  differs: Record<string, string | null>;
}

/** Records listed one finding each; past this, one finding counts the rest (blindspot copies lists them all). */
export const DIFFERING_COPIES_LISTED = 100;

const at = (e: { sha256: string; line: number | null; element: number | null }): string => `evidence ${evidencePlace(e)}`;

/**
 * One finding per record among `copies` (at most DIFFERING_COPIES_LISTED), and one counting the rest of
 * the `records` (all the records with such copies: the copies of the others need not be read).
 */
export function differingCopyFindings(copies: readonly DifferingCopy[], records = new Set(copies.map((c) => c.recordId)).size): Finding[] {
  const byRecord = Map.groupBy(copies, (c) => c.recordId);
  const out: Finding[] = [];
  for (const [recordId, cs] of [...byRecord].slice(0, DIFFERING_COPIES_LISTED)) {
    const k = cs[0]!.kept;
    const times = [k.time, ...cs.flatMap((c) => (c.differs['time'] ? [c.differs['time']] : []))].map((t) => Date.parse(t)).filter(Number.isFinite);
    const from = new Date(Math.min(...times) - 60_000).toISOString();
    const to = new Date(Math.max(...times) + 60_000).toISOString();
    out.push({
      id: `differing-copy:${recordId}`,
      severity: 'high',
      kind: 'differing-copy',
      mailbox: k.mailbox,
      title: `Record ${recordId} was received again saying otherwise: ${differsText(cs[0]!.differs)}`,
      detail: `The case keeps the record first received under this Id: ${k.time} ${k.operation ?? '(no operation)'} by ${k.user ?? '(no user)'}${k.mailbox ? ` on ${k.mailbox}` : ''} from ${k.clientIp ?? '(no IP)'} (${at(k.evidence)}). `
        + `${cs.length === 1 ? 'A later copy' : `${cs.length} later copies`} under the same Id say${cs.length === 1 ? 's' : ''} otherwise: ${cs.map((c) => `${differsText(c.differs)} (${at(c.copy)})`).join('; ')}. `
        + 'The unified audit log gives each record one Id: records that share it and differ are not both what Microsoft recorded. One of the exports was altered, mislabelled, or made by another system; establish which record the tenant holds before relying on either.',
      evidence: [`event:${recordId}`],
      remediation: `# The record as the tenant holds it (Exchange Online PowerShell), to compare with both copies:\nSearch-UnifiedAuditLog -StartDate ${psq(from)} -EndDate ${psq(to)} -ResultSize 5000 | Where-Object Identity -eq ${psq(recordId)} | Select-Object -ExpandProperty AuditData`,
    });
  }
  const rest = records - Math.min(byRecord.size, DIFFERING_COPIES_LISTED);
  if (rest > 0) {
    out.push({
      id: 'differing-copy:more', severity: 'high', kind: 'differing-copy', mailbox: null,
      title: `${rest} more records were received again saying otherwise`,
      detail: `Besides the ${DIFFERING_COPIES_LISTED} records listed as findings, ${rest} more were received again under their Id with another time, operation, user, mailbox or client IP. blindspot copies <case> lists every one with both sides and where each lies.`,
      evidence: [], remediation: '',
    });
  }
  return out;
}
