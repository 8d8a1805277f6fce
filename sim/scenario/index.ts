// Scenario factory: createScenario(options) builds the tenant once and generates audit records a day
// at a time on demand (deterministic per (seed, day)), so a server can answer any time window and a
// benchmark can stream millions of records without holding them.
import type { GroundTruth, Scenario, ScenarioName, ScenarioOptions, UalRecord } from './types.ts';
import type { ThrottleMark, World } from './day.ts';
import type { Incident } from './incident.ts';
import { DayGen, generateBackground } from './day.ts';
import { planIncident } from './incident.ts';
import { computeGroundTruth } from './groundTruth.ts';
import { MailStore } from './mailstore.ts';
import { DAY_MS, HOUR_MS, VICTIM, buildTenant, bypassObject, iso } from './tenant.ts';
import { stableGuid } from './rng.ts';

export type { Scenario, ScenarioOptions, GroundTruth, UalRecord } from './types.ts';

const DEFAULTS: Record<ScenarioName, { mailboxes: number; days: number; eventsPerDay: number }> = {
  bec: { mailboxes: 12, days: 30, eventsPerDay: 120 },
  quiet: { mailboxes: 12, days: 30, eventsPerDay: 120 },
  large: { mailboxes: 2000, days: 60, eventsPerDay: 50_000 },
};

/** Background records per person-session, measured on the default tenant (used to scale volume). */
const RECORDS_PER_SESSION = 3.8;
const THROTTLE_LIMIT = 1000;

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`ScenarioOptions.${name} must be a positive integer (got ${String(v)})`);
  return v;
}

export function createScenario(options: ScenarioOptions): Scenario {
  const name = options.scenario;
  const def = DEFAULTS[name];
  if (!def) throw new Error(`Unknown scenario "${String(name)}": expected bec, quiet or large`);
  if (!Number.isSafeInteger(options.seed)) throw new Error(`ScenarioOptions.seed must be an integer (got ${String(options.seed)})`);
  const seed = options.seed;
  const mailboxes = positiveInt('mailboxes', options.mailboxes ?? def.mailboxes);
  const days = positiveInt('days', options.days ?? def.days);
  const eventsPerDay = positiveInt('eventsPerDay', options.eventsPerDay ?? def.eventsPerDay);
  if (mailboxes < 12) throw new Error(`ScenarioOptions.mailboxes must be at least 12 (the core roster of humans, admin, shared, room and service accounts); got ${mailboxes}`);
  const now = options.now ? new Date(options.now.getTime()) : new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS);
  const end = now.getTime();
  if (!Number.isFinite(end)) throw new Error('ScenarioOptions.now is not a valid date');
  const firstDay = Math.floor((end - 1) / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
  const start = firstDay;
  const dayCount = days;
  const dayStartOf = (i: number): number => firstDay + i * DAY_MS;

  const ualRetentionDays = 180;
  const model = buildTenant(seed, mailboxes, name !== 'bec', ualRetentionDays, end);
  const { tenant, profiles } = model;

  // pre-existing benign inbox rules (created before the range) on every third person
  const ruleIds = new Map<number, string>();
  for (const p of profiles) {
    if ((p.kind !== 'human' && p.kind !== 'admin') || p.index % 3 !== 1) continue;
    const ruleId = String(BigInt(`0x${stableGuid(seed, 'benign-rule', p.index).replace(/-/g, '').slice(0, 15)}`));
    ruleIds.set(p.index, ruleId);
    tenant.inboxRules[p.upn] = [{
      Name: 'Newsletters', Identity: `${p.user.alias}\\${ruleId}`, RuleIdentity: ruleId, MailboxOwnerId: p.user.alias,
      Enabled: true, Priority: 1, StopProcessingRules: false,
      'From@odata.type': '#Collection(String)', From: ['newsletter@tailspintoys.example'],
      MoveToFolder: `${p.user.alias}:\\Newsletters`, MarkAsRead: false, DeleteMessage: false,
      'ForwardTo@odata.type': '#Collection(String)', ForwardTo: null,
      'WhenChanged@data.type': 'System.DateTime', WhenChanged: iso(start - 100 * DAY_MS),
      Description: "If the message:\r\n\tis received from 'newsletter@tailspintoys.example'\r\nTake the following actions:\r\n\tmove the message to folder 'Newsletters'\r\n",
      IsValid: true, ObjectState: 'Unchanged',
    }];
  }

  const people = profiles.filter((p) => p.kind === 'human' || p.kind === 'admin').length;
  const world: World = {
    seed,
    ctx: { orgId: model.orgId, orgName: tenant.organizationName },
    profiles,
    store: new MailStore(seed),
    orgAuditDisabled: tenant.organizationConfig.AuditDisabled === true,
    ualIngestionEnabled: tenant.adminAuditLogConfig.UnifiedAuditLogIngestionEnabled === true,
    rangeStart: start,
    rangeEnd: end,
    bypass: [],
    sessionRate: eventsPerDay / (people * RECORDS_PER_SESSION),
    ruleIds,
  };

  let incident: Incident | null = null;
  let throttles: ThrottleMark[] = [];
  if (name === 'bec') {
    incident = planIncident(seed, profiles, dayStartOf, dayCount);
    world.bypass.push(incident.bypass);
    const victim = profiles[VICTIM]!;
    const rules = tenant.inboxRules[victim.upn] ?? [];
    tenant.inboxRules[victim.upn] = [...rules, ...incident.inboxRules];
    const admin = profiles[incident.bypass.actor]!;
    tenant.bypassAssociations[admin.index] = bypassObject(admin, tenant.tenantId, false, incident.bypassOffMs);
  }

  const generateDay = (i: number, marks: ThrottleMark[]): UalRecord[] => {
    if (!Number.isInteger(i) || i < 0 || i >= dayCount) throw new RangeError(`day index ${i} is outside 0..${dayCount - 1}`);
    const g = new DayGen(world, i, dayStartOf(i));
    generateBackground(g);
    incident?.emit(g, i);
    return g.finish(marks);
  };

  if (incident) throttles = [findThrottle(incident.burstDay, VICTIM, profiles[VICTIM]!.user.userPrincipalName, generateDay)];

  const timeOf = (r: UalRecord): number => Date.parse(`${r.CreationTime}Z`);

  function* recordsBetween(startMs: number, endMs: number): Generator<UalRecord> {
    const lo = Math.max(startMs, start);
    const hi = Math.min(endMs, end);
    if (!(lo < hi)) return;
    const d0 = Math.floor((lo - firstDay) / DAY_MS);
    const d1 = Math.floor((hi - 1 - firstDay) / DAY_MS);
    for (let d = d0; d <= d1; d++) {
      for (const r of generateDay(d, throttles)) {
        const t = timeOf(r);
        if (t >= lo && t < hi) yield r;
      }
    }
  }

  let truth: GroundTruth | null = null;
  const scenario: Scenario = {
    options: { scenario: name, seed, mailboxes, days, eventsPerDay, now },
    tenant,
    range: { start: new Date(start), end: new Date(end) },
    dayCount,
    recordsForDay: (i) => generateDay(i, throttles),
    recordsBetween,
    mailboxAuditRecords(upn: string, startMs: number, endMs: number): Generator<UalRecord> {
      const p = profiles.find((x) => x.upn === upn.toLowerCase());
      if (!p) throw new Error(`No mailbox "${upn}" in this tenant`);
      const horizon = end - p.ageLimitDays * DAY_MS;
      return (function* () {
        for (const r of recordsBetween(Math.max(startMs, horizon), endMs)) {
          if ((r.RecordType === 2 || r.RecordType === 3 || r.RecordType === 50) && String(r.MailboxOwnerUPN).toLowerCase() === p.upn) yield r;
        }
      })();
    },
    groundTruth(): GroundTruth {
      if (truth) return truth;
      const bypassSpans: { mailbox: string; start: number; end: number | null }[] = [];
      for (const p of profiles) if (p.bypassFromStart) bypassSpans.push({ mailbox: p.upn, start, end: null });
      if (incident) bypassSpans.push({ mailbox: profiles[incident.bypass.actor]!.upn, start: incident.bypassOnMs, end: incident.bypassOffMs });
      truth = computeGroundTruth({
        scenario: name, seed, start, end, profiles,
        orgAuditDisabled: world.orgAuditDisabled,
        ualIngestionEnabled: world.ualIngestionEnabled,
        bypassSpans,
        throttles: throttles.map((t) => ({ mailbox: profiles[t.mailbox]!.upn, at: t.at })),
        attacker: incident ? { ips: incident.ips, sessionIds: incident.sessionIds, appIds: incident.appIds } : { ips: [], sessionIds: [], appIds: [] },
        records: recordsBetween(start, end),
      });
      return truth;
    },
  };
  return scenario;
}

/**
 * Finds the record that trips the MailItemsAccessed throttle on `mailbox`: the first Bind that is at
 * least the 1,001st MailItemsAccessed record (Bind or Sync) in a rolling 24 hours, looking at the
 * unthrottled records of the day before and the burst day.
 */
function findThrottle(burstDay: number, mailbox: number, upn: string, generateDay: (i: number, m: ThrottleMark[]) => UalRecord[]): ThrottleMark {
  const mia: { t: number; id: string; bind: boolean }[] = [];
  for (const d of [burstDay - 1, burstDay]) {
    if (d < 0) continue;
    for (const r of generateDay(d, [])) {
      if (r.Operation !== 'MailItemsAccessed' || r.MailboxOwnerUPN !== upn) continue;
      const props = r.OperationProperties as { Name: string; Value: string }[];
      mia.push({ t: Date.parse(`${r.CreationTime}Z`), id: r.Id, bind: props.some((p) => p.Name === 'MailAccessType' && p.Value === 'Bind') });
    }
  }
  let lo = 0;
  let crossed = false;
  for (let i = 0; i < mia.length; i++) {
    const cur = mia[i]!;
    while (mia[lo]!.t <= cur.t - DAY_MS) lo++;
    if (i - lo + 1 > THROTTLE_LIMIT) crossed = true;
    if (crossed && cur.bind) return { mailbox, at: cur.t, recordId: cur.id };
  }
  throw new Error('bec scenario: the burst did not cross the MailItemsAccessed throttle threshold (generator bug)');
}
