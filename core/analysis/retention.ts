// How far back each audit source still holds records [A7 in ../shared/docs/m365-protocols.md §5.8]:
// the unified log by licence (Audit Standard 180 days, 90 for records before 2023-10-17; Audit Premium
// one year) unless the tenant's policy is known, the mailbox audit store by each mailbox's
// AuditLogAgeLimit, the Management Activity API 7 days. Used by the coverage model (retention windows)
// and by the acquisition preflight (what a collection over a range can still find).
import { DAY_MS, iso } from './timeline.ts';

/** Audit (Standard) retention became 180 days for records generated from this date [A7]. */
const STANDARD_180_FROM_MS = Date.UTC(2023, 9, 17);
const PREMIUM_RETENTION_DAYS = 365;
export const MANAGEMENT_API_DAYS = 7;
/** A mailbox's AuditLogAgeLimit when its configuration does not say. */
export const MAILBOX_AUDIT_DEFAULT_DAYS = 90;

/** The time before which the unified log no longer holds a user's records, seen from referenceMs. */
export function ualLostBefore(referenceMs: number, premium: boolean, overrideDays?: number): number {
  if (overrideDays !== undefined) return referenceMs - overrideDays * DAY_MS;
  if (premium) return referenceMs - PREMIUM_RETENTION_DAYS * DAY_MS;
  // Standard: 90 days for records before 2023-10-17, 180 days after.
  const r180 = referenceMs - 180 * DAY_MS;
  if (r180 >= STANDARD_180_FROM_MS) return r180;
  return Math.min(STANDARD_180_FROM_MS, referenceMs - 90 * DAY_MS);
}

export interface RetentionFacts {
  /** Users by whether their licences include Audit Premium in every snapshot; null when no licence snapshot is in the case. */
  licences: { premium: number; standard: number } | null;
  /** AuditLogAgeLimit in days of each mailbox in the latest snapshot (null = not stated); null when no mailbox snapshot. */
  mailboxAgeLimitDays: (number | null)[] | null;
}

export interface RetentionOutlook {
  /** Where each source's records begin, seen from now (ISO). */
  ualStandardFrom: string;
  ualPremiumFrom: string;
  managementApiFrom: string;
  /** Mailbox audit stores: how many mailboxes keep how many days (null days = not stated, 90 by default). */
  mailboxAudit: { days: number | null; mailboxes: number }[] | null;
  licences: RetentionFacts['licences'];
  /** One line per point, for the preflight output; the first says what of the range is already lost. */
  lines: string[];
}

/** What each source can still return of [fromMs, toMs), seen from nowMs. */
export function retentionOutlook(nowMs: number, range: { fromMs: number; toMs: number }, facts: RetentionFacts): RetentionOutlook {
  const std = ualLostBefore(nowMs, false);
  const prem = ualLostBefore(nowMs, true);
  const mgmt = nowMs - MANAGEMENT_API_DAYS * DAY_MS;
  const byDays = new Map<number | null, number>();
  for (const d of facts.mailboxAgeLimitDays ?? []) byDays.set(d, (byDays.get(d) ?? 0) + 1);
  const mailboxAudit = facts.mailboxAgeLimitDays === null ? null
    : [...byDays].map(([days, mailboxes]) => ({ days, mailboxes })).sort((a, b) => (a.days ?? MAILBOX_AUDIT_DEFAULT_DAYS) - (b.days ?? MAILBOX_AUDIT_DEFAULT_DAYS));
  const lines: string[] = [];
  const lic = facts.licences;
  const who = lic === null
    ? 'no licence snapshot in the case yet (run `blindspot posture` first to know which users have Audit Premium)'
    : `${lic.premium} of ${lic.premium + lic.standard} licensed users have Audit Premium in every licence snapshot`;
  if (range.fromMs < std) {
    const lostTo = Math.min(range.toMs, std);
    lines.push(`unified audit log: ${iso(range.fromMs)} to ${iso(lostTo)} is past Audit Standard retention (180 days) for users without Audit Premium; ` +
      (range.fromMs < prem ? `before ${iso(prem)} it is past Audit Premium retention (1 year) too; ` : 'Audit Premium users keep 1 year; ') + who);
  } else {
    lines.push(`unified audit log: the whole range is within retention (Audit Standard keeps 180 days, from ${iso(std)}); ${who}`);
  }
  if (mailboxAudit === null) {
    lines.push(`mailbox audit stores: no mailbox snapshot in the case yet (AuditLogAgeLimit, ${MAILBOX_AUDIT_DEFAULT_DAYS} days by default, decides how far Search-MailboxAuditLog reaches)`);
  } else {
    lines.push(`mailbox audit stores (AuditLogAgeLimit): ${mailboxAudit.map((m) => `${m.mailboxes} mailbox${m.mailboxes === 1 ? '' : 'es'} keep ${m.days ?? `${MAILBOX_AUDIT_DEFAULT_DAYS} (default)`} days`).join(', ')}`);
  }
  if (range.fromMs < mgmt) lines.push(`Management Activity API: reaches back ${MANAGEMENT_API_DAYS} days only, to ${iso(mgmt)}`);
  return { ualStandardFrom: iso(std), ualPremiumFrom: iso(prem), managementApiFrom: iso(mgmt), mailboxAudit, licences: lic, lines };
}
