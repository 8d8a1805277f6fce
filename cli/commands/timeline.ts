import { csvRow } from '../../core/csv.ts';
import { hasSearchWords } from '../../core/search.ts';
import type { PageRow } from '../../db/timeline.ts';
import { timeline } from '../../db/timeline.ts';
import { openCaseReadOnly } from '../../services/caseFolder.ts';
import { EXIT, UsageError } from '../../services/errors.ts';
import { optionalString, parse, parseIntArg, parseIpArg, parseIsoArg, positional } from '../args.ts';
import { showControls } from '../../core/text.ts';
import { writeOut } from '../output.ts';

const CSV_COLUMNS = ['id', 'time', 'recordType', 'recordTypeName', 'operation', 'workload', 'user', 'mailbox', 'clientIp', 'sessionId', 'appId', 'resultStatus', 'evidenceSha256', 'evidenceLine', 'evidenceElement'];

export async function timelineCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse('timeline', argv, {
    from: { type: 'string' }, to: { type: 'string' }, user: { type: 'string' }, mailbox: { type: 'string' },
    op: { type: 'string' }, ip: { type: 'string' }, session: { type: 'string' }, app: { type: 'string' }, q: { type: 'string' },
    limit: { type: 'string' }, format: { type: 'string' }, 'newest-first': { type: 'boolean' },
    tag: { type: 'string' }, bookmarked: { type: 'boolean' },
  });
  const dir = positional('timeline', positionals, 0, 'the case folder');
  const format = optionalString(values.format) ?? 'table';
  if (!['table', 'jsonl', 'csv'].includes(format)) throw new UsageError(`timeline: --format must be table, jsonl or csv (got ${format}).`);
  const fromMs = parseIsoArg('timeline', '--from', values.from);
  const toMs = parseIsoArg('timeline', '--to', values.to);
  if (fromMs !== undefined && toMs !== undefined && fromMs >= toMs) throw new UsageError('timeline: --from must be before --to.');
  const limit = parseIntArg('timeline', '--limit', values.limit, 1);
  const ip = parseIpArg('timeline', values.ip);
  const ops = optionalString(values.op)?.split(',').map((s) => s.trim()).filter(Boolean);
  const q = optionalString(values.q);
  if (q !== undefined && q.trim() !== '' && !hasSearchWords(q)) {
    throw new UsageError(`timeline: --q ${JSON.stringify(q)} has no letter or digit to search for (punctuation is not indexed); give a word.`);
  }
  const c = openCaseReadOnly(dir);
  const out = process.stdout;
  let n = 0;
  try {
    const rows = timeline(c.db, {
      ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}),
      ...(values.user ? { user: String(values.user) } : {}), ...(values.mailbox ? { mailbox: String(values.mailbox) } : {}),
      ...(ops ? { operations: ops } : {}), ...(ip ? { ip } : {}),
      ...(values.session ? { session: String(values.session) } : {}), ...(values.app ? { app: String(values.app) } : {}), ...(q ? { text: q } : {}),
      ...(values.tag ? { tag: String(values.tag) } : {}), ...(values.bookmarked ? { bookmarked: true } : {}),
      ...(limit !== undefined ? { limit } : {}), ...(values['newest-first'] ? { newestFirst: true } : {}),
    });
    // The header goes out with the first row (or after none), so that a query that fails (a damaged
    // database) leaves no header above its error.
    let headed = false;
    const header = (): void => {
      if (headed) return;
      headed = true;
      if (format === 'csv') out.write(csvRow(CSV_COLUMNS));
      if (format === 'table') out.write(tableHeader());
    };
    for (const r of rows) {
      header();
      n++;
      if (format === 'jsonl') await writeOut(out, JSON.stringify(jsonlRow(r)) + '\n');
      else if (format === 'csv') await writeOut(out, csvRow([r.id, r.time, r.recordType, r.recordTypeName, r.operation, r.workload, r.user, r.mailbox, r.clientIp, r.sessionId, r.appId, r.resultStatus, r.evidence.sha256, r.evidence.line, r.evidence.element]));
      else await writeOut(out, tableRow(r));
    }
    header();
  } finally {
    c.close();
  }
  if (format === 'table') process.stderr.write(`${n} event${n === 1 ? '' : 's'} (times in UTC)\n`);
  return EXIT.ok;
}

/** The documented JSONL shape (the UI's row also carries its keyset position). */
function jsonlRow(r: PageRow) {
  const { rowId: _rowId, timeMs: _timeMs, ...row } = r;
  return row;
}

const W = { time: 24, op: 34, user: 34, mailbox: 34, ip: 40 };

function cell(s: string | null, w: number): string {
  const v = s === null ? '-' : showControls(s, true);
  return (v.length > w ? v.slice(0, w - 1) + '…' : v).padEnd(w);
}

function tableHeader(): string {
  return `${cell('TIME (UTC)', W.time)} ${cell('OPERATION', W.op)} ${cell('USER', W.user)} ${cell('MAILBOX', W.mailbox)} ${cell('CLIENT IP', W.ip)} SESSION\n`;
}

function tableRow(r: PageRow): string {
  return `${cell(r.time, W.time)} ${cell(r.operation, W.op)} ${cell(r.user, W.user)} ${cell(r.mailbox, W.mailbox)} ${cell(r.clientIp, W.ip)} ${r.sessionId === null ? '-' : showControls(r.sessionId, true)}\n`;
}
