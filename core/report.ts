// The case report: one self-contained HTML file a consultant hands over with the evidence bundle. Pure:
// services/report.ts gathers what it says (and writes it into the case's reports/ folder, logged); this
// only renders it. Every value from the case is escaped (record text is chosen by whoever made it, an
// attacker included), and the page carries a policy that lets it load nothing and run nothing.
import { evidencePlace } from './text.ts';
import { STORE_LABEL, WINDOW_KIND_LABEL } from './analysis/labels.ts';
import type { AccountKind, BlindWindow, Finding, Severity } from './analysis/types.ts';

export interface ReportEvidence { sha256: string; size: number; format: string | null; source: string; origin: string | null; addedAt: string }

export interface ReportSourceTotals {
  source: string;
  slices: number; complete: number; incomplete: number; failed: number; notCollected: number;
  retrieved: number;
  /** Slices not complete, with why (what the acquisition could not collect). */
  open: { start: string; end: string; status: string; reason: string | null }[];
}

export interface ReportMarkedEvent {
  recordId: string;
  time: string | null;
  operation: string | null;
  user: string | null;
  mailbox: string | null;
  clientIp: string | null;
  evidence: { sha256: string; line: number | null; element: number | null } | null;
  bookmarked: boolean;
  tags: string[];
  notes: { text: string; author: string; createdAt: string }[];
}

export interface ReportExposureRun { runId: number; generatedAt: string; mailbox: string; scope: string; items: number; syncedFolders: number; blindWindows: number; contentSearches: number }

export interface ReportData {
  generatedAt: string;
  toolVersion: string;
  analysisVersion: string;
  case: { name: string; number: string | null; client: string | null; examiner: string; createdAt: string; timeZone: string; events: number; mailboxes: number; firstEvent: string | null; lastEvent: string | null };
  evidence: ReportEvidence[];
  acquisition: ReportSourceTotals[];
  gaps: { runId: number; range: { start: string; end: string }; rangeNote: string; unseen: string[]; mailboxes: { mailbox: string; upn: string | null; accountKind: AccountKind; windows: BlindWindow[] }[] };
  /** `minSeverity`: the least severe listed, when less severe ones were left out (null: all). */
  findings: { runId: number; list: Finding[]; minSeverity: Severity | null };
  exposure: ReportExposureRun[];
  marked: ReportMarkedEvent[];
  /** What the case holds other than as received: records imports left out (--skip-bad), per file; copies that say otherwise than the record kept. */
  notTaken: { rejected: { file: string | null; sha256: string | null; records: number }[]; differingCopies: number };
  /** The custody log's last entry before the report's own: its number and the SHA-256 of its line. */
  custody: { lastSeq: number; lastLineSha256: string };
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML: every character that could open markup or an attribute is escaped. */
export function esc(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  return String(v).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

const count = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-GB')} ${n === 1 ? one : many}`;
const mb = (bytes: number): string => `${(bytes / 1e6).toLocaleString('en-GB', { maximumFractionDigits: 1 })} MB`;
/** A time on one line (the report's times are ISO 8601 UTC, 24 characters). */
const time = (t: string | null): string => `<span class="mono nowrap">${esc(t)}</span>`;

/** A table of cells already made HTML; `head` null for one without a header row. */
function table(head: string[] | null, rows: string[][], cls = ''): string {
  if (rows.length === 0) return '';
  return `<table${cls ? ` class="${cls}"` : ''}>${head ? `<thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead>` : ''}<tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1b2430; margin: 2em auto; max-width: 1100px; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #1b2430; padding-bottom: 2px; margin-top: 2em; } h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 12.5px; }
th, td { border: 1px solid #c8d0da; padding: 3px 6px; text-align: left; vertical-align: top; }
pre.mono { white-space: pre-wrap; }
th { background: #eef2f6; } .mono { font-family: ui-monospace, monospace; font-size: 11.5px; overflow-wrap: anywhere; } .nowrap { white-space: nowrap; overflow-wrap: normal; }
table.windows td:first-child { width: 11em; }
.meta td:first-child { width: 12em; font-weight: 600; } .muted { color: #5b6675; } .note { white-space: pre-wrap; }
.sev-critical { color: #fff; background: #a61b1b; } .sev-high { color: #fff; background: #c2541b; } .sev-medium { background: #f2c14e; } .sev-low, .sev-info { background: #e3e8ee; }
.sev { padding: 0 6px; border-radius: 3px; font-weight: 600; font-size: 11.5px; }
.examiner { border-left: 4px solid #c98a00; background: #fff8e6; padding: 0.1em 1em; }
.marked { border: 1px solid #c8d0da; padding: 0.2em 0.8em 0.6em; margin: 0.6em 0; break-inside: avoid; } .marked p { margin: 0.3em 0; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
`;

/** The report as one HTML document. */
export function renderReport(d: ReportData): string {
  const c = d.case;
  const out: string[] = [];
  out.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    `<title>${esc(`${c.name} – Blindspot case report`)}</title><style>${STYLE}</style></head><body>`);
  out.push(`<h1>${esc(c.name)}</h1><p class="muted">Mailbox audit case report, generated ${esc(d.generatedAt)} (UTC) by ${esc(d.toolVersion)}, analysis ${esc(d.analysisVersion)}.</p>`);
  out.push(table(null, [
    ['Case number', esc(c.number)], ['Client', esc(c.client)], ['Examiner', esc(c.examiner)], ['Case created', esc(c.createdAt)],
    ['Events', esc(c.events.toLocaleString('en-GB'))], ['Mailboxes', esc(c.mailboxes.toLocaleString('en-GB'))],
    ['First and last event', `${esc(c.firstEvent)} to ${esc(c.lastEvent)}`], ['Times', 'UTC (ISO 8601) throughout'],
  ], 'meta'));

  // 1. What could not have been seen: the reason this report exists.
  const g = d.gaps;
  const blind = g.mailboxes.filter((m) => m.windows.length > 0);
  out.push(`<h2>1. Where auditing could not see</h2>`,
    `<p>Analysed range: ${esc(g.range.start)} to ${esc(g.range.end)} (${esc(g.rangeNote)}). ${esc(count(blind.length, 'mailbox or account', 'mailboxes and accounts'))} of ${esc(g.mailboxes.length)} have windows in which auditing could not have recorded some actions. <strong>The absence of events in those windows proves nothing.</strong> (Stored analysis run ${esc(g.runId)}.)</p>`);
  if (g.unseen.length > 0) out.push(`<p>Not known, for want of configuration evidence (no window of these kinds could be found, which is not the same as none existing):</p><ul>${g.unseen.map((u) => `<li>${esc(u)}</li>`).join('')}</ul>`);
  for (const m of blind) {
    out.push(`<h3>${esc(m.upn ?? m.mailbox)} <span class="muted">(${esc(m.accountKind)})</span></h3>`,
      table(['Why', 'From', 'To', 'Confidence', 'What could not be recorded'], m.windows.map((w) => [
        esc(WINDOW_KIND_LABEL[w.kind] + (w.store ? `: ${STORE_LABEL[w.store]}` : '')), time(w.start), w.end === null ? 'still open' : time(w.end), esc(w.confidence), esc(w.reason),
      ]), 'windows'));
  }
  const clear = g.mailboxes.filter((m) => m.windows.length === 0).map((m) => m.upn ?? m.mailbox);
  if (clear.length > 0) out.push(`<p class="muted">No blind window found for: ${clear.map(esc).join(', ')}.</p>`);

  // 2. Findings.
  const floor = d.findings.minSeverity === null ? '' : ` at or above ${d.findings.minSeverity} (less severe ones are left out of this report; blindspot findings lists them all)`;
  out.push(`<h2>2. Findings</h2>`, d.findings.list.length === 0 ? `<p>No findings${esc(floor)}.</p>` : `<p>${esc(count(d.findings.list.length, 'finding'))}${esc(floor)}, most severe first (stored analysis run ${esc(d.findings.runId)}).</p>`);
  for (const f of d.findings.list) {
    out.push(`<h3><span class="sev sev-${esc(f.severity)}">${esc(f.severity.toUpperCase())}</span> ${esc(f.title)}</h3>`,
      `<p class="note">${esc(f.detail)}</p>`,
      f.remediation ? `<p>Remediation:</p><pre class="mono">${esc(f.remediation)}</pre>` : '');
  }

  // 3. Exposure runs the examiner made.
  out.push(`<h2>3. Exposure of messages</h2>`, d.exposure.length === 0
    ? '<p>No exposure scope was computed for this case (<span class="mono">blindspot exposure &lt;case&gt; --mailbox …</span>).</p>'
    : table(['Run', 'Mailbox', 'Scope', 'Messages exposed', 'Synced folders', 'Blind windows', 'Content searches', 'Computed'], d.exposure.map((e) => [
      esc(e.runId), esc(e.mailbox), esc(e.scope), esc(e.items.toLocaleString('en-GB')), esc(e.syncedFolders), esc(e.blindWindows), esc(e.contentSearches), time(e.generatedAt),
    ])) + '<p class="muted">The message lists are in the case (blindspot exposure … --csv); where a blind window or a content search overlaps the scope, the list is not the whole exposure.</p>');

  // 4. The examiner's marked events: one block each, the record first, then the examiner's words.
  out.push(`<h2>4. Events the examiner marked</h2><p>Bookmarks, tags and notes are the examiner's work, not evidence. Each one added or removed is in the custody log.</p>`);
  if (d.marked.length === 0) out.push('<p>None.</p>');
  for (const m of d.marked) {
    out.push(`<div class="marked"><p>${time(m.time)} <strong>${esc(m.operation)}</strong> by ${esc(m.user)}${m.mailbox && m.mailbox !== m.user ? ` on ${esc(m.mailbox)}` : ''}${m.clientIp ? ` from <span class="mono">${esc(m.clientIp)}</span>` : ''}</p>`,
      `<p class="muted">Record <span class="mono">${esc(m.recordId)}</span>; ${m.evidence ? `evidence <span class="mono">${esc(evidencePlace(m.evidence))}</span>` : 'not in the case'}</p>`,
      `<div class="examiner">${[m.bookmarked ? '<p>★ Bookmarked</p>' : '', m.tags.length ? `<p>Tags: ${m.tags.map(esc).join(', ')}</p>` : '',
        ...m.notes.map((n) => `<p class="note">${esc(n.text)} <span class="muted">(${esc(n.author)}, ${esc(n.createdAt)})</span></p>`)].join('')}</div></div>`);
  }

  // 5. Acquisition completeness.
  out.push(`<h2>5. Acquisition completeness</h2>`);
  if (d.acquisition.length === 0) out.push('<p>Nothing was acquired into this case from a tenant: its records were imported from files (listed below).</p>');
  else {
    out.push(table(['Source', 'Slices', 'Complete', 'Incomplete', 'Failed', 'Not collected', 'Records retrieved'], d.acquisition.map((a) => [
      esc(a.source), esc(a.slices), esc(a.complete), esc(a.incomplete), esc(a.failed), esc(a.notCollected), esc(a.retrieved.toLocaleString('en-GB')),
    ])));
    const open = d.acquisition.flatMap((a) => a.open.map((o) => ({ source: a.source, ...o })));
    if (open.length > 0) out.push('<p>Slices not complete (records in them may be missing):</p>', table(['Source', 'From', 'To', 'Status', 'Why'], open.map((o) => [esc(o.source), time(o.start), time(o.end), esc(o.status), esc(o.reason)])));
  }

  // Records not taken as received: what the timeline and the analysis do not show as it arrived.
  const nt = d.notTaken;
  if (nt.rejected.length > 0 || nt.differingCopies > 0) {
    out.push('<h3>Records not taken as received</h3>');
    if (nt.rejected.length > 0) {
      const n = nt.rejected.reduce((k, r) => k + r.records, 0);
      out.push(`<p>${esc(count(n, 'record'))} could not be read and ${n === 1 ? 'was' : 'were'} left out of the case's records (import with --skip-bad); each file is kept whole as evidence, and <span class="mono">blindspot rejected &lt;case&gt;</span> lists each record with why. What those records held is in neither the timeline nor the analysis.</p>`,
        table(['File', 'Evidence SHA-256', 'Records left out'], nt.rejected.map((r) => [`<span class="mono">${esc(r.file)}</span>`, `<span class="mono">${esc(r.sha256)}</span>`, esc(r.records.toLocaleString('en-GB'))])));
    }
    if (nt.differingCopies > 0) {
      out.push(`<p>${esc(count(nt.differingCopies, 'record'))} arrived under the Id of a record the case already held but ${nt.differingCopies === 1 ? 'gives' : 'give'} another time, operation, user, mailbox or client IP. The case keeps the first record received; <span class="mono">blindspot copies &lt;case&gt;</span> lists each such copy with both sides and where each lies.</p>`);
    }
  }

  // 6. Evidence and custody.
  const bytes = d.evidence.reduce((n, e) => n + e.size, 0);
  out.push(`<h2>6. Evidence and chain of custody</h2>`,
    `<p>${esc(count(d.evidence.length, 'evidence file'))} (${esc(mb(bytes))}), each stored as received under its SHA-256. The custody log's last entry, number ${esc(d.custody.lastSeq)} (this report's own entry follows it), has the SHA-256 <span class="mono">${esc(d.custody.lastLineSha256)}</span>. Anyone can check the evidence and the chain offline with <span class="mono">blindspot verify &lt;case or bundle&gt;</span>.</p>`,
    table(['SHA-256', 'Size', 'Format', 'Source', 'From', 'Added'], d.evidence.map((e) => [
      `<span class="mono">${esc(e.sha256)}</span>`, esc(e.size.toLocaleString('en-GB')), esc(e.format), esc(e.source), `<span class="mono">${esc(e.origin)}</span>`, time(e.addedAt),
    ])));
  out.push('</body></html>\n');
  return out.join('\n');
}
