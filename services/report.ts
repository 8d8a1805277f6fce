// The case report (core/report.ts renders it): the blind spots and findings computed now (each a stored
// analysis run in the custody log), the exposure runs and the examiner's marked events already in the
// case, acquisition completeness, and the evidence with the custody chain's head. Written into the
// case's reports/ folder (or where asked), whole or not at all, and logged with its SHA-256.
import { chmodSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ANALYSIS_VERSION } from '../core/analysis/types.ts';
import { sha256Hex } from '../core/custody.ts';
import { CUSTODY_ACTIONS } from '../core/custodyActions.ts';
import type { Severity } from '../core/analysis/types.ts';
import type { ReportData, ReportExposureRun, ReportSourceTotals } from '../core/report.ts';
import { renderReport } from '../core/report.ts';
import { markedEvents } from '../db/annotations.ts';
import { caseSummary, notTakenAsReceived, readCustodyHead } from '../db/caseRepo.ts';
import type { ReadableDB } from '../db/database.ts';
import { listLedger, totals } from '../db/ledger.ts';
import { findings, gaps } from './analysis.ts';
import { EVIDENCE_DIR, openCase, REPORTS_DIR } from './caseFolder.ts';
import { CaseError, UsageError } from './errors.ts';
import { durable, pathWithin } from './files.ts';
import { TOOL_VERSION } from './version.ts';

export interface ReportOptions {
  /** Where to write it; by default reports/report-<UTC time>.html in the case. */
  out?: string;
  now?: Date;
  incident?: { start: string; end: string };
  /** The range analysed (ISO UTC), as gaps and findings take it; by default the acquired range, or the first to last event. */
  range?: { start: string; end: string };
  /** Accounts known to be services (gaps and findings treat their silence and access patterns so). */
  serviceAccounts?: string[];
  /** The least severe findings listed (all by default); the report says what was left out. */
  minSeverity?: Severity;
  /** Told once the target is accepted, before the analyses run (a progress line). */
  onStart?: () => void;
}

export interface ReportWritten {
  path: string;
  bytes: number;
  sha256: string;
  analysisRuns: { gaps: number; findings: number };
}

const stamp = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');

/** Where the report goes: refused before anything is computed when it exists, or its folder does not, or it is among the evidence. */
function reportPath(caseDir: string, out: string | undefined, now: Date): string {
  if (out === undefined) {
    // The default name: the time to the second, then -2, -3… for another report in the same second.
    const name = (n: number): string => join(caseDir, REPORTS_DIR, `report-${stamp(now)}${n > 1 ? `-${n}` : ''}.html`);
    let n = 1;
    while (existsSync(name(n))) n++;
    out = name(n);
  }
  const path = resolve(out);
  if (existsSync(path)) throw new UsageError(`report: ${path} already exists.`, 'Name a new file (--out), or move the old one away; a report is never overwritten.');
  if (!existsSync(dirname(path))) throw new UsageError(`report: folder ${dirname(path)} does not exist.`, 'Create it, or name a file in an existing folder.');
  if (pathWithin(join(caseDir, EVIDENCE_DIR), path) !== null) {
    throw new UsageError(`report: ${path} is inside the case's evidence folder, which holds evidence files only.`, 'Write the report elsewhere, for example in the case\'s reports folder (the default).');
  }
  return path;
}

function acquisitionTotals(db: ReadableDB): ReportSourceTotals[] {
  return [...Map.groupBy(listLedger(db), (r) => r.source)].map(([source, rows]) => {
    const t = totals(rows);
    return {
      source, slices: t.slices, complete: t.complete, incomplete: t.incomplete, failed: t.failed, notCollected: t.notCollected, retrieved: t.retrieved,
      open: rows.filter((r) => r.status !== 'complete').map((r) => ({ start: r.sliceStart, end: r.sliceEnd, status: r.status, reason: r.reason })),
    };
  });
}

function exposureRuns(db: ReadableDB): ReportExposureRun[] {
  const rows = db.prepare("SELECT id, generated_at, result_json FROM analysis_runs WHERE kind = 'exposure' ORDER BY id").all() as { id: number; generated_at: string; result_json: string }[];
  return rows.map((r) => {
    const x = JSON.parse(r.result_json) as { mailbox: string; scope: Record<string, string | null>; items: { count: number }; syncedFolders: unknown[]; blindWindows: unknown[]; contentSearches?: unknown[] };
    const scope = Object.entries(x.scope).filter(([k, v]) => k !== 'mailbox' && v !== null).map(([k, v]) => `${k} ${String(v)}`).join(', ');
    return {
      runId: r.id, generatedAt: r.generated_at, mailbox: x.mailbox, scope: scope || 'the whole range', items: x.items.count,
      syncedFolders: x.syncedFolders.length, blindWindows: x.blindWindows.length, contentSearches: x.contentSearches?.length ?? 0,
    };
  });
}

/** Computes the blind spots and findings, gathers the rest, and writes the report; logged in custody. */
export function writeReport(dirArg: string, opts: ReportOptions = {}): ReportWritten {
  const caseDir = resolve(dirArg);
  const now = opts.now ?? new Date();
  const path = reportPath(caseDir, opts.out, now);
  opts.onStart?.();
  const range = { ...(opts.range ? { range: opts.range } : {}), ...(opts.serviceAccounts ? { serviceAccounts: opts.serviceAccounts } : {}) };
  // One open of the case for the two analyses and what the report reads: every section describes the same case.
  const h = openCase(caseDir);
  try {
    const g = gaps(h, { now, ...range });
    const f = findings(h, { now, ...range, ...(opts.incident ? { incident: opts.incident } : {}), ...(opts.minSeverity ? { minSeverity: opts.minSeverity } : {}) });
    const s = caseSummary(h.db, h.dir);
    if (!s) throw new CaseError(`${h.dir}: the case database has no case record; the case is damaged.`);
    // The custody log's last entry, as the database recorded it (the analyses above have just appended).
    const head = readCustodyHead(h.db);
    if (!head) throw new CaseError(`${h.dir}: the case database records no last custody entry, though analyses were just logged.`);
    const evidence = (h.db.prepare('SELECT sha256, size, format, source, coalesce(original_path, original_name) AS origin, added_at AS addedAt FROM evidence ORDER BY id').all()) as ReportData['evidence'];
    const data: ReportData = {
      generatedAt: now.toISOString(), toolVersion: TOOL_VERSION, analysisVersion: ANALYSIS_VERSION,
      case: { name: s.name, number: s.number, client: s.client, examiner: s.examiner, createdAt: s.createdAt, timeZone: s.timeZone, events: s.events, mailboxes: s.mailboxes, firstEvent: s.firstEvent, lastEvent: s.lastEvent },
      evidence, acquisition: acquisitionTotals(h.db), notTaken: notTakenAsReceived(h.db),
      gaps: { runId: g.runId, range: g.result.range, rangeNote: g.result.rangeNote, unseen: g.result.unseen, mailboxes: g.result.mailboxes },
      findings: { runId: f.runId, list: f.result.findings, minSeverity: opts.minSeverity ?? null },
      exposure: exposureRuns(h.db), marked: markedEvents(h.db),
      custody: { lastSeq: head.seq, lastLineSha256: head.lineSha256 },
    };
    const html = renderReport(data);
    // Whole or not at all: written beside its place, flushed, then renamed into it.
    const tmp = join(dirname(path), `.${basename(path)}.partial-${process.pid}`);
    try {
      writeFileSync(tmp, html, { flag: 'wx' });
      durable.file(tmp); // opens it for writing (Windows flushes no other way): before it is made read-only
      chmodSync(tmp, 0o444); // read-only, as evidence is: a report is a record of what was said
      if (existsSync(path)) throw new UsageError(`report: ${path} already exists.`, 'Name a new file (--out); a report is never overwritten.');
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
    const sha256 = sha256Hex(html);
    const bytes = statSync(path).size;
    const shown = pathWithin(h.dir, path)?.split(sep).join('/') ?? path; // as evidence paths are written
    h.logCustody(CUSTODY_ACTIONS.reportWritten, { path: shown, bytes, analysisRuns: { gaps: g.runId, findings: f.runId }, markedEvents: data.marked.length, exposureRuns: data.exposure.length }, [{ sha256, path: shown }]);
    return { path, bytes, sha256, analysisRuns: { gaps: g.runId, findings: f.runId } };
  } finally {
    h.close();
  }
}
