// Licences and Audit (Premium): whether a mailbox's assigned licences include the Advanced Auditing
// service plan, joining what Graph reports in two halves (assignments by user, plans by licenseDetails).
import type { LicenceAssignment } from '../model.ts';
import type { ConfigObservation } from './types.ts';

export const ADVANCED_AUDITING_PLAN = 'M365_ADVANCED_AUDITING';

export interface LicenceVerdict {
  advancedAuditing: boolean;
  /** The plan is assigned only through a group and that assignment is not in effect. */
  groupNotEffective: boolean;
  /** A licence in effect whose service plans the export does not list: the verdict is not certain. */
  plansUnknown?: boolean;
  reason: string;
}

const PLAN_OK = new Set(['success', 'enabled', 'active']);
// ActiveWithError: the assignment is applied, with a problem elsewhere in it (it counts).
const ASSIGN_BAD = new Set(['error', 'disabled']);

/**
 * Rows of one snapshot are read over several requests (Graph users, then licenseDetails per user), so
 * their times differ by the minutes the posture took: rows within this spread of the newest are one
 * snapshot.
 */
const SNAPSHOT_SPREAD_MS = 60 * 60_000;

/** The rows in snapshots, newest first: a row more than SNAPSHOT_SPREAD_MS older than its snapshot's newest row starts the next. */
export function snapshotsOf<T>(rows: ConfigObservation<T>[]): ConfigObservation<T>[][] {
  const out: ConfigObservation<T>[][] = [];
  let top = Infinity;
  for (const r of [...rows].sort((a, b) => b.asOfMs - a.asOfMs)) {
    if (r.asOfMs < top - SNAPSHOT_SPREAD_MS) {
      out.push([]);
      top = r.asOfMs;
    }
    out.at(-1)!.push(r);
  }
  return out;
}

/** The rows of the newest snapshot: those within SNAPSHOT_SPREAD_MS of the newest row. */
export function newestSnapshotRows<T>(rows: ConfigObservation<T>[]): ConfigObservation<T>[] {
  return snapshotsOf(rows)[0] ?? [];
}

/** One user's licence verdict from the rows given, Graph's two halves joined. */
export function licenceVerdictOf(rows: ConfigObservation<LicenceAssignment>[]): LicenceVerdict {
  return licenceVerdict(mergeLicenceRows(rows.map(withPlansFromRaw)));
}

/**
 * Whether a user held Audit (Premium) in every licence snapshot of the case ('throughout'), in some
 * ('partly'), or in none or with no snapshot ('never'). `caseSnapshots` are the snapshots of every
 * account's licence rows (snapshotsOf), `rows` this user's among them: a snapshot without a row for the
 * user (Graph lists no licence row for an account with none, as after a compromised account is
 * unlicensed) does not show Premium. Retention follows the licence held when a record was made, and
 * snapshots say nothing of the time between them: only 'throughout' may be taken to mean the longer
 * retention, or the report would say records were still there to be found when they may not have been.
 */
export function premiumHistory(rows: ConfigObservation<LicenceAssignment>[], caseSnapshots: ConfigObservation<LicenceAssignment>[][]): 'throughout' | 'partly' | 'never' {
  const mine = new Set(rows);
  const verdicts = caseSnapshots.map((s) => {
    const own = s.filter((o) => mine.has(o));
    return own.length > 0 && licenceVerdictOf(own).advancedAuditing;
  });
  if (verdicts.length > 0 && verdicts.every(Boolean)) return 'throughout';
  return verdicts.some(Boolean) ? 'partly' : 'never';
}

/**
 * Joins the two halves Graph gives of one user's licences: assignment rows (skuId, direct or through a
 * group, state) without service plans, and licenseDetails rows (service plans) without assignment. Each
 * assignment gets the plans of its SKU; a plans-only row stays only when no assignment names its SKU.
 */
export function mergeLicenceRows(rows: LicenceAssignment[]): LicenceAssignment[] {
  const sku = (r: LicenceAssignment) => (r.skuId ?? r.skuPartNumber ?? '').toLowerCase();
  const plans = new Map<string, LicenceAssignment>();
  for (const r of rows) if (r.servicePlans.length > 0 && !plans.has(sku(r))) plans.set(sku(r), r);
  const assigned = rows.filter((r) => r.assignedVia !== null || r.state !== null);
  const assignedSkus = new Set(assigned.map(sku));
  const out = assigned.map((r) => {
    const p = plans.get(sku(r));
    return r.servicePlans.length > 0 || !p ? r : { ...r, servicePlans: p.servicePlans, skuPartNumber: r.skuPartNumber ?? p.skuPartNumber };
  });
  for (const r of rows) if (!assigned.includes(r) && !assignedSkus.has(sku(r))) out.push(r);
  return out;
}

export function licenceVerdict(rows: LicenceAssignment[]): LicenceVerdict {
  let groupNotEffective = false;
  const unknownPlans = rows.filter((r) => r.servicePlans.length === 0 && (r.state === null || !ASSIGN_BAD.has(r.state.toLowerCase())));
  const skus = rows.map((r) => r.skuPartNumber ?? r.skuId ?? '?');
  for (const r of rows) {
    const plan = r.servicePlans.find((p) => p.name.toUpperCase() === ADVANCED_AUDITING_PLAN);
    if (!plan) continue;
    const planOk = plan.status === null || PLAN_OK.has(plan.status.toLowerCase());
    const assignOk = r.state === null || !ASSIGN_BAD.has(r.state.toLowerCase());
    if (planOk && assignOk) {
      return { advancedAuditing: true, groupNotEffective: false, reason: `${ADVANCED_AUDITING_PLAN} is assigned (${r.skuPartNumber ?? r.skuId ?? 'licence'}, ${r.assignedVia ?? 'assignment'})` };
    }
    if (r.assignedVia === 'group') groupNotEffective = true;
  }
  if (groupNotEffective) {
    const g = rows.find((r) => r.assignedVia === 'group' && r.servicePlans.some((p) => p.name.toUpperCase() === ADVANCED_AUDITING_PLAN));
    return {
      advancedAuditing: false,
      groupNotEffective: true,
      reason: `${ADVANCED_AUDITING_PLAN} is assigned only through group ${g?.groupId ?? '(unknown group)'}, and that assignment is not in effect (state ${g?.state ?? 'unknown'}${g?.error ? `, ${g.error}` : ''})`,
    };
  }
  return {
    advancedAuditing: false,
    groupNotEffective: false,
    plansUnknown: unknownPlans.length > 0,
    reason: rows.length === 0 ? 'no licence is assigned'
      : unknownPlans.length > 0 ? `the service plans of ${unknownPlans.map((r) => r.skuPartNumber ?? r.skuId ?? '?').join(', ')} are not in the licence export, and no licence shows ${ADVANCED_AUDITING_PLAN}`
        : `no ${ADVANCED_AUDITING_PLAN} service plan in the assigned licences (${skus.join(', ')})`,
  };
}

/**
 * A licence row whose service plans the importer left empty gets them from the raw Graph user object
 * it came from (`licenseDetails[]` with the same skuId), when the raw object has them.
 */
export function withPlansFromRaw(o: ConfigObservation<LicenceAssignment>): LicenceAssignment {
  const v = o.value;
  if (v.servicePlans.length > 0) return v;
  const details = o.raw['licenseDetails'];
  if (!Array.isArray(details)) return v;
  for (const d of details) {
    if (!d || typeof d !== 'object') continue;
    const rec = d as Record<string, unknown>;
    if (v.skuId !== null && String(rec['skuId'] ?? '').toLowerCase() !== v.skuId.toLowerCase()) continue;
    const plans = Array.isArray(rec['servicePlans']) ? rec['servicePlans'] : [];
    const servicePlans = plans.flatMap((p) => {
      if (!p || typeof p !== 'object') return [];
      const pr = p as Record<string, unknown>;
      const name = pr['servicePlanName'] ?? pr['name'];
      if (typeof name !== 'string') return [];
      const status = pr['provisioningStatus'] ?? pr['status'];
      return [{ name, status: typeof status === 'string' ? status : null }];
    });
    return { ...v, servicePlans, skuPartNumber: v.skuPartNumber ?? (typeof rec['skuPartNumber'] === 'string' ? rec['skuPartNumber'] : null) };
  }
  return v;
}

