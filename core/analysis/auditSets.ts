// The mailbox audit action sets (AuditOwner, AuditDelegate, AuditAdmin and DefaultAuditSet of Get-Mailbox)
// and how a Set-Mailbox record changes them; which default actions a set leaves unaudited. Pure.
import type { ChangeRecord, LogonTypeName } from './types.ts';
import { LOGON_TYPE_NAMES } from './types.ts';
import { param, parseMultiValue } from './records.ts';

// Default mailbox actions per logon type (protocol reference §4.10, A1 table).
export const DEFAULT_ACTIONS: Readonly<Record<LogonTypeName, readonly string[]>> = {
  Admin: ['ApplyRecord', 'Create', 'HardDelete', 'MailItemsAccessed', 'MoveToDeletedItems', 'Send', 'SendAs', 'SendOnBehalf', 'SoftDelete', 'Update', 'UpdateCalendarDelegation', 'UpdateFolderPermissions', 'UpdateInboxRules'],
  Delegate: ['ApplyRecord', 'Create', 'HardDelete', 'MailItemsAccessed', 'MoveToDeletedItems', 'SendAs', 'SendOnBehalf', 'SoftDelete', 'Update', 'UpdateFolderPermissions', 'UpdateInboxRules'],
  Owner: ['ApplyRecord', 'HardDelete', 'MailItemsAccessed', 'MoveToDeletedItems', 'Send', 'SoftDelete', 'Update', 'UpdateCalendarDelegation', 'UpdateFolderPermissions', 'UpdateInboxRules'],
};

/** The actions audited per logon type, and which logon types follow the defaults; null where not known. */
export interface AuditSets {
  Owner: string[] | null;
  Delegate: string[] | null;
  Admin: string[] | null;
  defaultSet: string[] | null;
}

const setKey = (s: string[] | null): string => (s === null ? '∅' : [...new Set(s.map((x) => x.toLowerCase()))].sort().join(','));
export const auditSetsEqual = (a: AuditSets, b: AuditSets): boolean =>
  setKey(a.Owner) === setKey(b.Owner) && setKey(a.Delegate) === setKey(b.Delegate) && setKey(a.Admin) === setKey(b.Admin) && setKey(a.defaultSet) === setKey(b.defaultSet);

export function defaultAuditSets(): AuditSets {
  return { Owner: [...DEFAULT_ACTIONS.Owner], Delegate: [...DEFAULT_ACTIONS.Delegate], Admin: [...DEFAULT_ACTIONS.Admin], defaultSet: ['Admin', 'Delegate', 'Owner'] };
}

export function applySetMailboxAudit(rec: ChangeRecord): ((prev: AuditSets) => AuditSets) | null {
  const params: [LogonTypeName, string][] = [['Owner', 'AuditOwner'], ['Delegate', 'AuditDelegate'], ['Admin', 'AuditAdmin']];
  const edits = params.map(([lt, p]) => [lt, parseMultiValue(param(rec.parameters, p))] as const).filter(([, mv]) => mv !== null);
  const dset = parseMultiValue(param(rec.parameters, 'DefaultAuditSet'));
  if (edits.length === 0 && !dset) return null;
  return (prev) => {
    const next: AuditSets = { Owner: prev.Owner, Delegate: prev.Delegate, Admin: prev.Admin, defaultSet: prev.defaultSet ? [...prev.defaultSet] : null };
    if (dset && dset.mode === 'replace') {
      // Setting DefaultAuditSet restores the default actions for the logon types listed.
      const listed = new Set(dset.values.map((v) => v.toLowerCase()));
      for (const lt of LOGON_TYPE_NAMES) if (listed.has(lt.toLowerCase())) next[lt] = [...DEFAULT_ACTIONS[lt]];
      next.defaultSet = LOGON_TYPE_NAMES.filter((lt) => listed.has(lt.toLowerCase()));
    }
    for (const [lt, mv] of edits) {
      if (!mv) continue;
      const base = next[lt] ?? [...DEFAULT_ACTIONS[lt]];
      if (mv.mode === 'replace') next[lt] = mv.values;
      else {
        const lower = new Set(mv.remove.map((x) => x.toLowerCase()));
        next[lt] = [...base.filter((x) => !lower.has(x.toLowerCase())), ...mv.add];
      }
      // Customising a logon type's actions takes it out of DefaultAuditSet [A1].
      next.defaultSet = (next.defaultSet ?? ['Admin', 'Delegate', 'Owner']).filter((x) => x.toLowerCase() !== lt.toLowerCase());
    }
    return next;
  };
}

export function missingActions(sets: AuditSets): { lt: LogonTypeName; missing: string[]; customised: boolean }[] {
  const out: { lt: LogonTypeName; missing: string[]; customised: boolean }[] = [];
  for (const lt of LOGON_TYPE_NAMES) {
    const configured = sets[lt];
    if (configured === null) continue; // not known: nothing can be stated
    const have = new Set(configured.map((x) => x.toLowerCase()));
    const missing = DEFAULT_ACTIONS[lt].filter((a) => !have.has(a.toLowerCase()));
    const customised = sets.defaultSet !== null && !sets.defaultSet.some((x) => x.toLowerCase() === lt.toLowerCase());
    if (missing.length > 0) out.push({ lt, missing, customised });
  }
  return out;
}
