// The API contract (core/api.ts) implemented over one case database, opened read-only; the few calls that
// change the case (the examiner's annotations, the case report) open it for writing each time, with its
// lock and custody entries, through the same services the command line uses. Both the
// Electron main process and the local web bridge call these handlers through electron/ipc.ts `callApi`,
// which validates every argument with API_SCHEMAS first; the handlers parse again anyway, so they are
// safe to call directly. Rows are mapped to the contract's types here: raw rows never reach the UI.
import { resolve } from 'node:path';
import { AnnotationAddArgs, AnnotationRemoveArgs, ExposureComputeArgs, ExposureItemsArgs, FindingsArgs, GapsArgs, ReportWriteArgs, ApiProblem, CaseOpenArgs, CaseSummaryArgs, EventArgs, TimelineArgs, TimelineCountArgs } from '../core/api.ts';
import type { AnnotationsView, ApiPush, CaseView, EventDetail, FindingEntry, FindingEvidence, TimelineEntry } from '../core/api.ts';
import { CONFIG_KIND_LABEL } from '../core/analysis/labels.ts';
import type { Finding } from '../core/analysis/types.ts';
import { citedConfigRows, citedEvents, citedLedgerSlices, readExposureItems } from '../db/analysis.ts';
import { annotationsShown, eventAnnotations, eventRecordId, marksOf } from '../db/annotations.ts';
import { annotate, removeAnnotation } from './annotations.ts';
import { writeReport } from './report.ts';
import { caseSummary } from '../db/caseRepo.ts';
import { CaseDataError } from '../db/auditData.ts';
import type { ReadableDB } from '../db/database.ts';
import type { TimelineQuery } from '../db/timeline.ts';
import { eventDetail, timelineCount, timelinePage } from '../db/timeline.ts';
import type { PageRow } from '../db/timeline.ts';
import type { ApiHandlers } from '../electron/ipc.ts';
import { caseBusyError, openCaseReadOnly } from './caseFolder.ts';
import { changeVersion, watchCase } from './caseWatch.ts';
import { NoRangeError, computeFindings, computeGaps, exposure } from './analysis.ts';
import { asCaseProblem, BadInputError, BlindspotError, NotFoundError, UsageError } from './errors.ts';
import { ANALYSIS_VERSION } from '../core/analysis/types.ts';

export interface CaseApi {
  dir: string;
  handlers: ApiHandlers;
  /** Subscribes to the events the workstation pushes to the UI (case.changed); returns the unsubscribe. */
  onEvent(push: (p: ApiPush) => void): () => void;
  close(): void;
}

function toEntry(r: PageRow): TimelineEntry {
  return {
    id: r.id, rowId: r.rowId, timeMs: r.timeMs, time: r.time, recordType: r.recordType, recordTypeName: r.recordTypeName,
    operation: r.operation, workload: r.workload, user: r.user, mailbox: r.mailbox, clientIp: r.clientIp,
    sessionId: r.sessionId, appId: r.appId, resultStatus: r.resultStatus,
    evidence: { sha256: r.evidence.sha256, line: r.evidence.line, element: r.evidence.element },
    ...(r.marks ? { marks: { bookmarked: r.marks.bookmarked, tags: [...r.marks.tags], notes: r.marks.notes } } : {}),
  };
}

function parse<T>(schema: { safeParse(x: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, args: unknown): T {
  const r = schema.safeParse(args ?? {});
  if (!r.success) {
    throw new ApiProblem('BadRequest', r.error.issues.map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message)).join('; '));
  }
  return r.data;
}

/** A text argument trimmed, or undefined when it is absent or blank (an empty filter box is no filter). */
const trimmed = (s: string | undefined): string | undefined => (s !== undefined && s.trim() !== '' ? s.trim() : undefined);

/** Turns the contract's filter arguments into the database query; from/to are ISO strings with an offset. */
function toQuery(a: { from?: string | undefined; to?: string | undefined; user?: string | undefined; mailbox?: string | undefined; operations?: string[] | undefined; ip?: string | undefined; session?: string | undefined; app?: string | undefined; text?: string | undefined; tag?: string | undefined; bookmarked?: boolean | undefined }): Omit<TimelineQuery, 'limit'> {
  const q: Omit<TimelineQuery, 'limit'> = {};
  if (a.from !== undefined) q.fromMs = Date.parse(a.from);
  if (a.to !== undefined) q.toMs = Date.parse(a.to);
  if (q.fromMs !== undefined && q.toMs !== undefined && q.fromMs >= q.toMs) {
    throw new ApiProblem('BadRequest', `"From" (${a.from}) must be before "To" (${a.to}).`);
  }
  const user = trimmed(a.user); if (user) q.user = user;
  const mailbox = trimmed(a.mailbox); if (mailbox) q.mailbox = mailbox;
  const ops = (a.operations ?? []).map((o) => o.trim()).filter(Boolean);
  if (ops.length) q.operations = ops;
  const ip = trimmed(a.ip); if (ip) q.ip = ip;
  const session = trimmed(a.session); if (session) q.session = session;
  const app = trimmed(a.app); if (app) q.app = app;
  const text = trimmed(a.text); if (text) q.text = text;
  const tag = trimmed(a.tag); if (tag) q.tag = tag;
  if (a.bookmarked) q.bookmarked = true;
  return q;
}

const nothingYet = (verb: string): ApiProblem =>
  new ApiProblem('Empty', `the case holds no events yet, so there is nothing to ${verb}; import or acquire audit records first`);

/**
 * A service's refusal as the contract's, in the command's words without its name ("annotate: --tag …" →
 * "Tag …"): what was named is not in the case (NotFound), a bad value (BadRequest), nothing to analyse
 * yet (Empty: a case with no events and no acquisition ledger, a state the page shows as such), the
 * case's problem (CaseProblem). Anything else is not a refusal and goes on as it is.
 */
function asApiProblem(e: unknown, verb: string): unknown {
  const said = (m: string): string => { const t = m.replace(/^[a-z]+: (--)?/, ''); return t.charAt(0).toUpperCase() + t.slice(1); };
  if (e instanceof NotFoundError) return new ApiProblem('NotFound', said(e.message));
  if (e instanceof UsageError || e instanceof BadInputError) return new ApiProblem('BadRequest', said(e.message));
  if (e instanceof NoRangeError) return nothingYet(verb);
  if (e instanceof BlindspotError) return new ApiProblem('CaseProblem', `${e.message}${e.hint ? ` ${e.hint}` : ''}`);
  return e;
}

/** Runs an analysis for display (nothing stored); its refusals become the contract's (asApiProblem). */
function analysing<T>(verb: string, compute: () => T): T {
  try {
    return compute();
  } catch (e) {
    throw asApiProblem(e, verb);
  }
}

/**
 * The findings as the window shows them: each cited configuration row and ledger slice said in words
 * (which export, whose row, as of when, its evidence file and line), each cited event by its record id.
 */
function findingEntries(db: ReadableDB, list: readonly Finding[]): FindingEntry[] {
  const ids = (prefix: string) => [...new Set(list.flatMap((f) => f.evidence.filter((e) => e.startsWith(prefix)).map((e) => e.slice(prefix.length))))];
  const events = citedEvents(db, ids('event:'));
  const rows = citedConfigRows(db, ids('config-row:').map(Number));
  const slices = citedLedgerSlices(db, ids('ledger:').map(Number));
  const cited = (ref: string): FindingEvidence => {
    const [kind, id] = [ref.slice(0, ref.indexOf(':')), ref.slice(ref.indexOf(':') + 1)];
    if (kind === 'event') {
      const ev = events.get(id);
      return { kind: 'event', recordId: id, time: ev ? new Date(ev.timeMs).toISOString() : null, operation: ev?.operation ?? null, user: ev?.user ?? null };
    }
    const row = kind === 'config-row' ? rows.get(Number(id)) : undefined;
    if (row) return { kind: 'config', text: `${CONFIG_KIND_LABEL[row.kind]} row${row.identity ? ` for ${row.identity}` : ''}, as of ${row.asOf}`, sha256: row.sha256, line: row.line };
    const slice = kind === 'ledger' ? slices.get(Number(id)) : undefined;
    if (slice) return { kind: 'ledger', text: `acquisition ledger: ${slice.source} slice ${slice.start} to ${slice.end}, ${slice.status}` };
    return { kind: 'ledger', text: ref }; // not in the case (cannot happen for a finding computed from it): said as cited
  };
  const shown = new Set(list.map((f) => f.id));
  return list.map((f) => ({
    id: f.id, severity: f.severity, kind: f.kind, mailbox: f.mailbox, title: f.title, detail: f.detail, remediation: f.remediation,
    evidence: f.evidence.map(cited), related: (f.related ?? []).filter((r) => shown.has(r)),
  }));
}

function summary(dir: string, db: ReadableDB): CaseView {
  // The version is read first: a change committed in between shows in the summary and, later, as a newer
  // version (a needless offer to reload), never the other way round (a change the window never hears of).
  const version = changeVersion(dir);
  const s = caseSummary(db, dir);
  if (!s) throw new ApiProblem('CaseProblem', `${dir}: the case database has no case record; the case is damaged.`);
  return { ...s, version };
}

/**
 * Opens the case read-only and returns the handlers bound to it. A UI session is bound to one case:
 * 'case.open' answers for that case and refuses any other folder, so the page cannot make the
 * workstation open arbitrary paths.
 */
export function createHandlers(caseDir: string): CaseApi {
  const c = openCaseReadOnly(caseDir);
  const { dir, db } = c;
  /**
   * Runs a change of the case (through the services the command line uses, which open it for writing
   * with its lock and custody entries) and answers with the case's change version before and after, so
   * the window can take the change as its own. The services' refusals become the contract's (asApiProblem).
   */
  const changeCase = <T>(change: () => T): T & { versionBefore: number; versionAfter: number } => {
    const versionBefore = changeVersion(dir);
    let value: T;
    try {
      value = change();
    } catch (e) {
      throw asApiProblem(e, 'analyse');
    }
    return { ...value, versionBefore, versionAfter: changeVersion(dir) };
  };
  /** What the window shows of an event's annotations after a change to them. */
  const annotationsNow = (recordId: string): Omit<AnnotationsView, 'versionBefore' | 'versionAfter'> =>
    ({ annotations: annotationsShown(db, recordId), marks: marksOf(db, [recordId]).get(recordId) ?? null });
  const handlers: ApiHandlers = {
    'case.open': async (args) => {
      const a = parse(CaseOpenArgs, args);
      if (resolve(a.dir) !== dir) {
        throw new ApiProblem('NotFound', `This window shows the case in ${dir}; to open ${a.dir}, run: blindspot ui ${a.dir}`);
      }
      return summary(dir, db);
    },
    'case.summary': async (args) => {
      parse(CaseSummaryArgs, args);
      return summary(dir, db);
    },
    'timeline.query': async (args) => {
      const a = parse(TimelineArgs, args);
      const page = timelinePage(db, { ...toQuery(a), limit: a.limit, ...(a.newestFirst ? { newestFirst: true } : {}), ...(a.after ? { after: a.after } : {}) });
      return { rows: page.rows.map(toEntry), next: page.next };
    },
    'timeline.count': async (args) => {
      const a = parse(TimelineCountArgs, args);
      return { count: timelineCount(db, toQuery(a)) };
    },
    'gaps.get': async (args) => {
      parse(GapsArgs, args);
      const { result } = analysing('analyse', () => computeGaps(db, { now: new Date() }));
      return { analysisVersion: result.analysisVersion, range: result.range, rangeNote: result.rangeNote, mailboxes: result.mailboxes, unseen: result.unseen };
    },
    'findings.get': async (args) => {
      parse(FindingsArgs, args);
      const { result } = analysing('find', () => computeFindings(db, { now: new Date() }));
      return { analysisVersion: ANALYSIS_VERSION, generatedAt: result.generatedAt, findings: findingEntries(db, result.findings) };
    },
    'exposure.compute': async (args) => {
      const a = parse(ExposureComputeArgs, args);
      const scope: Partial<Record<'from' | 'to' | 'ip' | 'session' | 'app', string>> = {};
      for (const k of ['from', 'to', 'ip', 'session', 'app'] as const) { const v = trimmed(a[k]); if (v !== undefined) scope[k] = v; }
      return changeCase(() => exposure(dir, { now: new Date(), mailbox: a.mailbox, ...scope }));
    },
    'exposure.items': async (args) => {
      const a = parse(ExposureItemsArgs, args);
      const kind = db.prepare('SELECT kind FROM analysis_runs WHERE id = ?').pluck().get(a.runId);
      if (kind !== 'exposure') throw new ApiProblem('NotFound', `No exposure run ${a.runId} in this case.`);
      return { items: [...readExposureItems(db, a.runId, { offset: a.offset, limit: a.limit })] };
    },
    'event.get': async (args) => {
      const a = parse(EventArgs, args);
      const d = eventDetail(db, a.id);
      if (!d) throw new ApiProblem('NotFound', `No event with id ${a.id} in this case.`);
      const detail: EventDetail = {
        ...toEntry(d),
        auditData: d.auditData,
        items: d.items.map((i) => ({ folderPath: i.folderPath, internetMessageId: i.internetMessageId, accessType: i.accessType, sizeBytes: i.sizeBytes })),
        evidenceFile: d.evidenceFile,
        copies: d.copies,
        copiesTotal: d.copiesTotal,
        annotations: d.annotations,
      };
      return detail;
    },
    'annotation.add': async (args) => {
      const a = parse(AnnotationAddArgs, args);
      const recordId = eventRecordIdOrNotFound(a.id);
      return changeCase(() => {
        if (annotate(dir, recordId, [{ kind: a.kind, text: a.text }]).added.length === 0) throw new UsageError(`annotate: the event already has this ${a.kind}.`);
        return annotationsNow(recordId);
      });
    },
    'report.write': async (args) => {
      parse(ReportWriteArgs, args);
      return changeCase(() => {
        const r = writeReport(dir);
        return { path: r.path, bytes: r.bytes, sha256: r.sha256 };
      });
    },
    'annotation.remove': async (args) => {
      const a = parse(AnnotationRemoveArgs, args);
      const recordId = eventRecordIdOrNotFound(a.id);
      // Only an annotation of the event shown: the page names both.
      if (!eventAnnotations(db, recordId).some((n) => n.id === a.annotationId)) throw new ApiProblem('NotFound', `Event ${a.id} has no annotation ${a.annotationId}.`);
      return changeCase(() => { removeAnnotation(dir, a.annotationId); return annotationsNow(recordId); });
    },
  };
  function eventRecordIdOrNotFound(id: string): string {
    const recordId = eventRecordId(db, id);
    if (recordId === null) throw new ApiProblem('NotFound', `No event with id ${id} in this case.`);
    return recordId;
  }
  const listeners = new Set<(p: ApiPush) => void>();
  let unwatch: (() => void) | null = null;
  let closed = false;
  const onEvent = (push: (p: ApiPush) => void): (() => void) => {
    if (closed) throw new Error(`the API of ${dir} is closed: nothing more can be pushed from it`);
    listeners.add(push);
    // One watcher for the case, whatever the number of listeners.
    unwatch ??= watchCase(dir, (version) => { for (const l of [...listeners]) l({ event: 'case.changed', payload: { dir, version } }); });
    // The version now, to this subscriber alone: a window whose summary is older missed a change before it subscribed.
    push({ event: 'case.changed', payload: { dir, version: changeVersion(dir) } });
    return () => {
      listeners.delete(push);
      if (listeners.size === 0) { unwatch?.(); unwatch = null; }
    };
  };
  const close = (): void => {
    closed = true;
    listeners.clear();
    unwatch?.();
    unwatch = null;
    c.close();
  };
  return { dir, handlers: reportingCaseData(dir, handlers), onEvent, close };
}

/**
 * Every handler reports a case that cannot be read as stored (an evidence file that AuditData is read
 * from, missing or changed; stored JSON that does not parse) as the case's problem, not as an internal
 * failure: the event detail and the blind spots both read AuditData. So is a case another process holds
 * for a bulk import, which no query can read until it finishes (the window offers to reload then), and
 * a database found damaged.
 */
function reportingCaseData(dir: string, handlers: ApiHandlers): ApiHandlers {
  const wrapped: Record<string, (args: never) => Promise<unknown>> = {};
  for (const [name, handler] of Object.entries(handlers) as [string, (args: never) => Promise<unknown>][]) {
    wrapped[name] = async (args) => {
      try {
        return await handler(args);
      } catch (e) {
        if (e instanceof CaseDataError) throw new ApiProblem('CaseProblem', `${dir}: ${e.message}`);
        if ((e as { code?: string }).code === 'SQLITE_BUSY') throw new ApiProblem('CaseProblem', caseBusyError(dir).message);
        const problem = asCaseProblem(e); // a damaged database
        if (problem !== null) throw new ApiProblem('CaseProblem', `${dir}: ${problem.message} ${problem.hint}`);
        throw e;
      }
    };
  }
  return wrapped as unknown as ApiHandlers;
}
