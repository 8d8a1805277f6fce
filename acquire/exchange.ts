// Exchange Online admin API (§4): InvokeCommand with OData paging, Search-UnifiedAuditLog sessions
// (§4.8) and Search-MailboxAuditLog (§4.9).
import { randomUUID } from 'node:crypto';
import type { ApiClient, CallResult } from './api.ts';
import type { Endpoints } from './clouds.ts';
import type { AnswerKeeper, PageSink, SliceJob, SliceResult } from './collect.ts';
import { envelopeValue, pageOf, strings } from './collect.ts';
import { exoTime, iso } from './slicing.ts';

export const SUAL_RESULT_SIZE = 5000;
export const SUAL_SESSION_CAP = 50_000;
export const EXO_PAGE_SIZE = 1000;
export const SMAL_RESULT_SIZE = 250_000;

export interface ExoTarget {
  api: ApiClient;
  endpoints: Endpoints;
  /** Tenant GUID or domain as used in the URL. */
  tenant: string;
}

function invokeUrl(t: ExoTarget): string {
  return `${t.endpoints.exoBase}/${encodeURIComponent(t.tenant)}/InvokeCommand`;
}

function body(cmdlet: string, params: Record<string, unknown>): string {
  return JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: params } });
}

function headers(cmdlet: string, pageSize: number): Record<string, string> {
  return { Prefer: `odata.maxpagesize=${pageSize}`, 'X-CmdletName': cmdlet, 'X-ResponseFormat': 'json', 'Accept-Charset': 'UTF-8' };
}

/**
 * Runs a cmdlet and yields each OData page (the same body is POSTed to every @odata.nextLink, §4.5).
 * The caller stores each page before the next is requested.
 */
export async function* invokePages(t: ExoTarget, cmdlet: string, params: Record<string, unknown>, what: string, signal?: AbortSignal, pageSize = EXO_PAGE_SIZE): AsyncGenerator<CallResult & { value: Record<string, unknown>[] }> {
  let url: string | null = invokeUrl(t);
  const b = body(cmdlet, params);
  while (url) {
    const r = await t.api.call('exchange', { method: 'POST', url, headers: headers(cmdlet, pageSize), body: b, what }, signal);
    const { value, next } = envelopeValue(r.json, what);
    yield { ...r, value };
    url = next;
  }
}

/** SUAL parameters for a slice: the plan's filters (RecordType, Operations, UserIds) and the window. */
export function sualParams(job: SliceJob, sessionId: string, resultSize = SUAL_RESULT_SIZE): Record<string, unknown> {
  const p: Record<string, unknown> = { StartDate: exoTime(job.startMs), EndDate: exoTime(job.endMs) };
  if (typeof job.query.RecordType === 'string') p.RecordType = job.query.RecordType;
  const ops = strings(job.query.Operations);
  if (ops.length) p.Operations = ops;
  const users = strings(job.query.UserIds);
  if (users.length) p.UserIds = users;
  p.SessionId = sessionId;
  p.SessionCommand = 'ReturnLargeSet';
  p.ResultSize = resultSize;
  return p;
}

/**
 * One slice through Search-UnifiedAuditLog: a ReturnLargeSet session, called again with the same
 * SessionId until the last ResultIndex reaches ResultCount. A batch of ResultIndex -1 / ResultCount 0,
 * or an empty batch before the end, means the server timed out: the session is restarted. A ResultCount
 * over the 50,000 session cap asks for a split (or, at one second, is over the cap for good).
 */
export async function sualSlice(t: ExoTarget, job: SliceJob, sink: PageSink, o: { canSplit: boolean; maxRestarts?: number; signal?: AbortSignal; resultSize?: number; sessionCap?: number }): Promise<SliceResult> {
  const maxRestarts = o.maxRestarts ?? 5;
  const cap = o.sessionCap ?? SUAL_SESSION_CAP;
  let restarts = 0;
  const what = `Search-UnifiedAuditLog ${iso(job.startMs)} to ${iso(job.endMs)}`;
  for (;;) {
    const params = sualParams(job, randomUUID(), o.resultSize ?? SUAL_RESULT_SIZE);
    let reported: number | null = null;
    let maxIndex = 0;
    let broken: string | null = null;
    let overCap = false;
    for (;;) { // calls of the session
      let rows = 0;
      for await (const r of invokePages(t, 'Search-UnifiedAuditLog', params, what, o.signal)) {
        await sink(pageOf(job, r, 'sual-json', r.value.length));
        rows += r.value.length;
        for (const row of r.value) {
          const ri = Number(row.ResultIndex);
          const rc = Number(row.ResultCount);
          if (ri === -1 || rc === 0) { broken = `the server timed out inside the session (ResultIndex ${row.ResultIndex}, ResultCount ${row.ResultCount})`; continue; }
          if (Number.isFinite(rc)) reported = Math.max(reported ?? 0, rc);
          if (Number.isFinite(ri)) maxIndex = Math.max(maxIndex, ri);
        }
        if (broken) break;
        if (reported !== null && reported > cap) { overCap = true; break; }
      }
      if (broken || overCap) break;
      if (rows === 0) {
        if (reported !== null && maxIndex < reported) broken = `an empty batch at ResultIndex ${maxIndex} of ${reported}`;
        break;
      }
      if (reported === null || maxIndex >= reported) break;
      if (maxIndex >= cap) break;
    }
    if (overCap) {
      const reason = `ResultCount ${reported} is over the ${cap} records one Search-UnifiedAuditLog session returns`;
      if (o.canSplit) return { kind: 'split', reported, reason, parts: Math.ceil((reported ?? cap) / (cap * 0.8)) };
      return { kind: 'over-cap', reported, reason: `${reason}, and a one-second slice cannot be cut further: at most ${cap} of them can be retrieved` };
    }
    if (broken) {
      restarts++;
      t.api.countRetry();
      if (restarts > maxRestarts) return { kind: 'failed', reason: `${broken}; the session was restarted ${maxRestarts} times without finishing` };
      continue;
    }
    return { kind: 'done', reported: reported ?? 0 };
  }
}

/**
 * Probes Search-MailboxAuditLog (retired in the cloud, §4.9) on one mailbox: available when it answers;
 * otherwise why not (the tenant no longer knows the cmdlet, or there is no mailbox to ask about). The
 * answer, or the refusal that says the cmdlet is gone, goes to `keep`: it decides where mailbox audit
 * history comes from.
 */
export async function probeMailboxAuditLog(t: ExoTarget, identity: string | undefined, signal?: AbortSignal, keep?: AnswerKeeper): Promise<{ available: true } | { available: false; reason: string }> {
  if (identity === undefined) return { available: false, reason: 'no mailbox to probe Search-MailboxAuditLog with' };
  const { ApiRefusal } = await import('./api.ts');
  const what = 'Search-MailboxAuditLog probe';
  try {
    const now = Date.now();
    for await (const r of invokePages(t, 'Search-MailboxAuditLog', { Identity: identity, ShowDetails: true, StartDate: exoTime(now - 86_400_000), EndDate: exoTime(now), ResultSize: 1 }, what, signal)) {
      await keep?.(r, what);
      break;
    }
    return { available: true };
  } catch (e) {
    if (e instanceof ApiRefusal && (e.status === 400 || e.status === 404) && /CommandNotFound|not recognized/i.test(`${e.code} ${e.detail}`)) {
      if (e.answer) await keep?.(e.answer, what);
      return { available: false, reason: `Search-MailboxAuditLog is retired on this tenant (${e.code ?? e.status}: ${e.detail.slice(0, 120)})` };
    }
    throw e;
  }
}

/** One mailbox and slice through Search-MailboxAuditLog -ShowDetails. */
export async function smalSlice(t: ExoTarget, job: SliceJob, sink: PageSink, o: { canSplit: boolean; signal?: AbortSignal; resultSize?: number }): Promise<SliceResult> {
  const identity = String(job.query.Identity ?? '');
  const resultSize = o.resultSize ?? SMAL_RESULT_SIZE;
  const params: Record<string, unknown> = { Identity: identity, ShowDetails: true, StartDate: exoTime(job.startMs), EndDate: exoTime(job.endMs), ResultSize: resultSize };
  const ops = strings(job.query.Operations);
  if (ops.length) params.Operations = ops;
  let rows = 0;
  for await (const r of invokePages(t, 'Search-MailboxAuditLog', params, `Search-MailboxAuditLog ${identity} ${iso(job.startMs)} to ${iso(job.endMs)}`, o.signal)) {
    await sink(pageOf(job, r, 'mailbox-audit-json', r.value.length));
    rows += r.value.length;
  }
  if (rows >= resultSize) {
    const reason = `${rows} rows reached ResultSize ${resultSize}: more may exist`;
    if (o.canSplit) return { kind: 'split', reported: null, reason, parts: 2 };
    return { kind: 'over-cap', reported: null, reason };
  }
  return { kind: 'done', reported: null, note: 'Search-MailboxAuditLog reports no total: complete means paging ended below ResultSize' };
}
