// Scoring an analysis against the simulated tenant's ground truth: precision and recall per kind of
// claim, printed so a run shows its figures, and the sets themselves so a test can name what differs.
import type { GroundTruth } from '../../sim/scenario/types.ts';
import { exposure, exposureItems, findings, gaps } from '../../services/analysis.ts';

export interface Score {
  what: string;
  truth: number;
  found: number;
  precision: number;
  recall: number;
  missing: string[];
  extra: string[];
}

export function score(what: string, truth: string[], found: string[]): Score {
  const t = new Set(truth);
  const f = new Set(found);
  const hits = [...f].filter((x) => t.has(x)).length;
  return {
    what, truth: t.size, found: f.size,
    precision: f.size === 0 ? (t.size === 0 ? 1 : 0) : hits / f.size,
    recall: t.size === 0 ? 1 : hits / t.size,
    missing: [...t].filter((x) => !f.has(x)).sort(),
    extra: [...f].filter((x) => !t.has(x)).sort(),
  };
}

/**
 * Runs gaps and the attacker-scoped exposure over a case and scores them against the ground truth.
 * The ground truth sees each mailbox audit store from the scenario's end (its configuration snapshot is
 * taken there); a store read later (`storeReadAt`: when an acquired posture read it, by the tenant's
 * clock, which runs on from the scenario's end) has lost that much more, so its retention windows end
 * that much later.
 */
export function scoreCase(caseDir: string, gt: GroundTruth, now: string, opts: { storeReadAt?: string } = {}): Score[] {
  const g = gaps(caseDir, { now, range: gt.range }).result;
  const shift = opts.storeReadAt === undefined ? 0 : Date.parse(opts.storeReadAt) - Date.parse(gt.range.end);
  const end = (w: GroundTruth['blindWindows'][number]) => (w.kind === 'retention' && w.end !== null ? new Date(Date.parse(w.end) + shift).toISOString() : w.end);
  const windows = score(
    'blind windows',
    gt.blindWindows.map((w) => `${w.mailbox}|${w.kind}|${w.start}|${end(w)}`),
    g.mailboxes.flatMap((m) => m.windows.map((w) => `${w.mailbox}|${w.kind}|${w.start}|${w.end}`)),
  );
  const mailboxes = [...new Set([...gt.exposedMessages.map((e) => e.mailbox), ...gt.syncedFolders.map((s) => s.mailbox)])];
  const exposed: string[] = [];
  const synced: string[] = [];
  for (const mailbox of mailboxes) {
    for (const session of gt.attacker.sessionIds) {
      const { runId, result: r } = exposure(caseDir, { now, mailbox, session, range: gt.range });
      for (const i of exposureItems(caseDir, runId)) exposed.push(`${mailbox}|${i.internetMessageId}`);
      for (const s of r.syncedFolders) synced.push(`${mailbox}|${(s.folder ?? '').split('\\').pop()}|${s.time}`);
    }
  }
  return [
    windows,
    score('exposed messages', gt.exposedMessages.map((e) => `${e.mailbox}|${e.internetMessageId}`), exposed),
    score('synced folders', gt.syncedFolders.map((s) => `${s.mailbox}|${s.folder}|${s.time}`), synced),
  ];
}

/**
 * Scores what the findings and exposure say beyond the mail read: every attacker action (sign-ins, sends,
 * cmdlets from an attacker IP) must be cited by a content-search or source-activity finding or by a finding
 * one of those names as related, and nothing else; every content search must be stated in the exposure of
 * every mailbox it could reach (all of them for ExchangeLocation All), and no other search anywhere.
 */
export function scoreFindings(caseDir: string, gt: GroundTruth, now: string): Score[] {
  const list = findings(caseDir, { now, range: gt.range }).result.findings;
  const byId = new Map(list.map((f) => [f.id, f]));
  const surfacing = list.filter((f) => f.kind === 'content-search' || f.kind === 'source-activity');
  const named = surfacing.flatMap((f) => (f.related ?? []).map((id) => byId.get(id)).filter((x) => x !== undefined));
  const cited = [...surfacing, ...named].flatMap((f) => f.evidence).filter((e) => e.startsWith('event:')).map((e) => e.slice(6));
  const stated: string[] = [];
  for (const m of gt.mailboxes) {
    for (const c of exposure(caseDir, { now, mailbox: m.upn, range: gt.range }).result.contentSearches) stated.push(`${m.upn}|${c.name}|${c.contentRead}`);
  }
  return [
    score('attacker actions cited', gt.attackerActions.map((a) => a.recordId), cited),
    score('content searches in exposure', gt.contentSearches.flatMap((c) => gt.mailboxes.filter((m) => c.locations.includes('All') || c.locations.includes(m.upn)).map((m) => `${m.upn}|${c.name}|${c.exported}`)), stated),
  ];
}

export function printScores(label: string, scores: Score[]): void {
  for (const s of scores) {
    process.stdout.write(`${label}: ${s.what}: precision ${s.precision.toFixed(3)}, recall ${s.recall.toFixed(3)} (${s.found} found, ${s.truth} in the ground truth)\n`);
  }
}
